import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The gateway serves dist/ under a CSP of script-src 'self' and style-src 'self', so nothing may be
// inlined: assets stay files, CSS is extracted, and the module-preload polyfill (an inline helper in
// some setups) is not needed by the browsers we support.
const root = fileURLToPath(new URL('.', import.meta.url));

// The dev server forwards API calls to a locally running gateway so `npm run dev` works against it.
const gateway = 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': gateway,
      '/deployer-api': gateway,
      '/create-codebuild-project': gateway,
    },
  },
});
