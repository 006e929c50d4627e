import { fileURLToPath, URL } from 'node:url'

import tailwindcss from '@tailwindcss/vite'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

import { precompiledMessages, vueI18nTreeShaking } from './build-plugins/vue-i18n.js'

// Django serves the page and django-vite writes the script tags. It builds URLs as
// STATIC_URL + path both from the manifest and (dev mode) against this dev server, so `base`
// is STATIC_URL in both modes.
export default defineConfig({
  base: '/static/',
  plugins: [
    vue(),
    tailwindcss(),
    precompiledMessages({ localesDir: new URL('./src/locales/', import.meta.url) }),
    vueI18nTreeShaking(),
  ],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  // Compile-time feature flags: drop the Options API and vue-i18n's legacy API from the bundle.
  // https://vue-i18n.intlify.dev/guide/advanced/optimization.html#reduce-bundle-size-with-feature-build-flags
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    // Messages arrive compiled (build-plugins/vue-i18n.js), so the compiler stays out.
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'true',
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.VITE_PORT ?? 3000),
    strictPort: true,
    // The page comes from Django (:8000); assets and HMR must point back here.
    origin: `http://localhost:${process.env.VITE_PORT ?? 3000}`,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Top level, not .vite/: collectstatic copies it with the assets and django-vite finds it
    // beside them (settings DJANGO_VITE manifest_path).
    manifest: 'manifest.json',
    rollupOptions: { input: 'src/main.js' },
  },
})
