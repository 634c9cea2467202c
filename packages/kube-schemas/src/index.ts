export {
  createManifestValidator,
  type ManifestValidator,
  type ManifestValidatorOptions,
} from './manifest-validator.ts';
export type { ManifestProblem } from './problems.ts';
