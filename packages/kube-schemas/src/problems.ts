export interface ManifestProblem {
  /** e.g. `Deployment/app: spec.template.spec.containers[0].ports[0].containerPort` */
  path: string;
  message: string;
}
