// Build the console into dist/ (ignored by git), served by the function app at <prefix>/console.
// base './': every URL in the bundle is relative (index.html carries <base href="console/">),
// so the same build works under any route prefix.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    // Chromium and Firefox support modulepreload natively: no polyfill to ship.
    modulePreload: { polyfill: false },
    // Source maps stay out of the served files (smaller, nothing extra to serve).
    sourcemap: false,
    reportCompressedSize: false,
  },
});
