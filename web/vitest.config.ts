import { fileURLToPath, URL } from 'node:url';
import { searchForWorkspaceRoot } from 'vite';
import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  // The help pages bundle the user manual from the repository's docs/manual/.
  server: { fs: { allow: [searchForWorkspaceRoot(process.cwd()), fileURLToPath(new URL('../docs/manual', import.meta.url))] } },
  test: {
    environment: 'happy-dom',
    include: ['tests/unit/**/*.spec.ts'],
    restoreMocks: true,
  },
});
