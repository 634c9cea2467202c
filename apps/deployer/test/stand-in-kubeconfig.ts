import * as k8s from '@kubernetes/client-node';

/**
 * A kubeconfig for the Kubernetes API stand-in: one cluster at `server` (plain http on loopback, which
 * client-node accepts only with TLS checks off), a bearer-token user, `default` as the context's namespace.
 */
export function standInKubeConfig(server: string, token: string): k8s.KubeConfig {
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'stand-in', server, skipTLSVerify: true }],
    users: [{ name: 'deployer', token }],
    contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'deployer', namespace: 'default' }],
    currentContext: 'stand-in',
  });
  return kubeConfig;
}
