// The structural checks: each takes a target row (scripts/targets.ts) and what the object-file
// reader (bindings/ffi/object-file.ts) read from the artifact, and returns { ok, detail }. A
// failed check's detail says exactly what is wrong. Runtime checks (node-smoke, musl-dlopen,
// wasm-smoke) live in test.mjs.
import { inspectObjectFile } from '../../bindings/ffi/object-file.ts';
import { LIB_NAME } from '../../bindings/names.ts';
import { REQUIRED_EXPORTS } from '../targets.ts';
import { errorMessage } from '../errors.mjs';

/** @import { Check, CrossTarget } from '../targets.ts' */
/** @import { ObjectFile } from '../../bindings/ffi/object-file.ts' */
/** @typedef {{ ok: boolean, detail: string }} CheckResult */
/** @typedef {Pick<ObjectFile, 'format' | 'machine' | 'exports' | 'deps'> & Partial<ObjectFile>} BinaryInfo */

const FORBIDDEN_DLL = 'bcryptprimitives.dll';

/** @satisfies {Partial<Record<Check, (target: CrossTarget, info: BinaryInfo) => CheckResult>>} */
export const STATIC_CHECKS = {
  header(target, info) {
    const ok = info.format === target.format && info.machine === target.machine;
    return { ok, detail: ok ? `${info.format} ${info.machine}` : `expected ${target.format} ${target.machine}, the file is ${info.format} ${info.machine}` };
  },
  exports(_target, info) {
    const names = new Set(info.exports.map((s) => s.name));
    const missing = REQUIRED_EXPORTS.filter((name) => !names.has(name));
    const ours = [...names].filter((n) => n.startsWith(`${LIB_NAME}_`));
    return missing.length
      ? { ok: false, detail: `missing export(s): ${missing.join(', ')}` }
      : { ok: true, detail: `${REQUIRED_EXPORTS.length} required of ${ours.length} ${LIB_NAME}_* exports` };
  },
  deps(target, info) {
    const allowed = new Set(target.allowedDeps.map((d) => d.toLowerCase()));
    const extra = info.deps.filter((d) => !allowed.has(d.toLowerCase()));
    return extra.length
      ? { ok: false, detail: `needs ${extra.join(', ')} (allowed: ${target.allowedDeps.join(', ') || 'nothing'})` }
      : { ok: true, detail: info.deps.join(', ') || 'none' };
  },
  'glibc-baseline'(target, info) {
    const max = target.glibcMax;
    if (!max) return { ok: false, detail: `${target.triple} lists glibc-baseline but has no glibcMax` };
    const versions = info.versionNeeds ?? [];
    const glibc = versions
      .map((v) => v.version)
      .filter((v) => v.startsWith('GLIBC_') && /^GLIBC_\d/.test(v))
      .map((v) => v.slice(6));
    const highest = glibc.sort(compareVersions).at(-1) ?? 'none';
    const over = versions.filter((v) => /^GLIBC_\d/.test(v.version) && compareVersions(v.version.slice(6), max) > 0);
    return over.length
      ? { ok: false, detail: `needs glibc ${highest} > baseline ${target.glibcMax} (${over.map((v) => `${v.version} from ${v.file}`).join(', ')})` }
      : { ok: true, detail: `highest GLIBC_${highest} <= ${target.glibcMax}` };
  },
  'no-processprng'(_target, info) {
    const forbidden = (info.imports ?? []).filter((i) => i.module.toLowerCase() === FORBIDDEN_DLL);
    return forbidden.length
      ? {
          ok: false,
          detail: `imports ${forbidden[0]?.module}!${forbidden.map((i) => i.name).join(',')} (std's random seeding, e.g. HashMap RandomState): missing on wine 8 and old Windows`,
        }
      : { ok: true, detail: `no ${FORBIDDEN_DLL} import` };
  },
  'install-name'(_target, info) {
    const want = `@rpath/lib${LIB_NAME}.dylib`;
    return { ok: info.installName === want, detail: info.installName === want ? want : `install name is ${info.installName ?? 'absent'}, expected ${want}` };
  },
  'min-os'(target, info) {
    const ok = info.minos === target.macosMin && (info.platform === undefined || info.platform === 1);
    return {
      ok,
      detail: ok
        ? `macOS ${info.minos}${info.sdk ? ` (sdk ${info.sdk})` : ''}`
        : `minimum OS ${info.minos ?? 'absent'} (platform ${info.platform}), expected macOS ${target.macosMin}`,
    };
  },
  'code-signature'(_target, info) {
    return info.codeSignature
      ? { ok: true, detail: `LC_CODE_SIGNATURE ${info.codeSignature.size} bytes` }
      : { ok: false, detail: 'no LC_CODE_SIGNATURE: macOS kills unsigned arm64 code' };
  },
};

/**
 * Runs every structural check of `target` on the file at `path`. Returns [{ check, ok, detail }].
 * @param {CrossTarget} target
 * @param {string} path
 * @returns {Array<{ check: Check } & CheckResult>}
 */
export function runStaticChecks(target, path) {
  /** @type {BinaryInfo} */
  let info;
  try {
    info = inspectObjectFile(path);
  } catch (error) {
    return [{ check: 'header', ok: false, detail: `cannot read ${errorMessage(error)}` }];
  }
  // Bytes the headers declare but the file lacks: a truncated artifact fails its header check.
  if (info.problems?.length) return [{ check: 'header', ok: false, detail: `${path}: ${info.problems.join('; ')}` }];
  return target.checks
    .filter(/** @returns {c is keyof typeof STATIC_CHECKS} */ (c) => c in STATIC_CHECKS)
    .map((check) => {
      // A wrong-format file would make the other checks misleading: report them as skipped failures.
      if (check !== 'header' && info.format !== target.format) return { check, ok: false, detail: `not run: the file is ${info.format}` };
      return { check, ...STATIC_CHECKS[check](target, info) };
    });
}

/**
 * Compares dotted versions numerically: -1, 0, 1.
 * @param {string} a
 * @param {string} b
 */
export function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}
