import { fileURLToPath, URL } from 'node:url';
import { defineConfig, searchForWorkspaceRoot } from 'vite';
import vue from '@vitejs/plugin-vue';

// The opcms binary serves the built app from web/dist; during `npm run dev` the API
// and probes are proxied to a locally running `opcms serve`.
const backend = process.env.OPCMS_DEV_BACKEND ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  server: {
    // The help pages bundle the user manual from the repository's docs/manual/.
    fs: { allow: [searchForWorkspaceRoot(process.cwd()), fileURLToPath(new URL('../docs/manual', import.meta.url))] },
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/healthz': { target: backend },
      '/readyz': { target: backend },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Arco is one library used everywhere; keeping it in its own long-cached chunk is
    // better for an intranet app than splitting it per page.
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'arco', test: /node_modules[\\/]@arco-design/ },
            { name: 'vendor', test: /node_modules[\\/](vue|@vue|vue-router|pinia|vue-i18n|@intlify|axios)[\\/]/ },
          ],
        },
      },
    },
  },
});
