/** The manifests a deploy would apply, as the deployer rendered them. */
export function ManifestPreview({ manifests, onClose }: { manifests: string; onClose(): void }) {
  return (
    <section className="card" aria-labelledby="preview-title" data-testid="deploy-preview-card">
      <div className="card-head">
        <h2 id="preview-title">Manifest preview</h2>
        <button type="button" className="button ghost small" onClick={onClose}>
          Close
        </button>
      </div>
      <pre className="code-block" tabIndex={0} data-testid="deploy-preview-manifests">
        {manifests}
      </pre>
    </section>
  );
}
