// `--import` of a worker whose entry is a .ts module, on a Node without type stripping (Node 20):
// tsx registers its hooks on the main thread only (`--import tsx` does nothing in a worker).
import { register } from 'tsx/esm/api';

register();
