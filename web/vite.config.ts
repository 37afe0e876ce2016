// The web UI's build: `vite build -c web/vite.config.ts` writes dist/web, which `tracelight serve` sends as it
// is. `vite -c web/vite.config.ts` serves the app with hot reload and hands /api to a running server
// (TRACELIGHT_URL, default http://127.0.0.1:4411), so the app talks to one origin in both cases.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The CSP allows no inline script, and the app is small enough for one chunk.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
  server: {
    port: 4412,
    strictPort: true,
    proxy: { '/api': { target: process.env.TRACELIGHT_URL ?? 'http://127.0.0.1:4411', changeOrigin: true } },
  },
  preview: { port: 4413, strictPort: true },
});
