import { useEffect, useState, type Dispatch } from 'react';
import { useApi } from '../../api-context.tsx';
import type { DeployerCapabilities } from '../../api/deployer.ts';
import type { DeployFormAction } from './deploy-form.ts';

/**
 * What this deployer can do (target, builder, strategies) and where apps may go. Both are read once; the
 * form starts in an allowed namespace. When either cannot be read everything stays offered and the
 * deployer itself says what fails.
 */
export function useDeployerOptions(dispatch: Dispatch<DeployFormAction>): {
  capabilities: DeployerCapabilities | undefined;
  allowedNamespaces: string[];
} {
  const api = useApi();
  const [capabilities, setCapabilities] = useState<DeployerCapabilities | undefined>(undefined);
  const [allowedNamespaces, setAllowedNamespaces] = useState<string[]>([]);

  useEffect(() => {
    let cancelled = false;
    api.deployer
      .capabilities()
      .then((answer) => {
        if (!cancelled) setCapabilities(answer);
      })
      .catch(() => {
        // Unknown capabilities: everything stays offered and the deployer itself says what fails.
      });
    return () => {
      cancelled = true;
    };
  }, [api]);

  useEffect(() => {
    let cancelled = false;
    api.deployer
      .namespaces()
      .then((answer) => {
        if (cancelled) return;
        setAllowedNamespaces(answer.allowed);
        dispatch({ type: 'namespaces', allowed: answer.allowed, fallback: answer.default });
      })
      .catch(() => {
        // Unknown: the deployer names the allowed namespaces when a deploy asks for another one.
      });
    return () => {
      cancelled = true;
    };
  }, [api, dispatch]);

  return { capabilities, allowedNamespaces };
}
