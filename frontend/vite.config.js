import { fileURLToPath, URL } from 'node:url'

import tailwindcss from '@tailwindcss/vite'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

import { precompiledMessages, vueI18nTreeShaking } from './build-plugins/vue-i18n.js'

const publicPort = Number(process.env.VITE_PORT ?? 3000)
// DEV_HTTPS as the Django settings (django-environ's env.bool) read it.
const https = ['true', 'on', 'ok', 'y', 'yes', '1'].includes(
  (process.env.DEV_HTTPS ?? '').toLowerCase(),
)

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
    // VITE_BIND_PORT: VITE_PORT itself, or with DEV_HTTPS the port behind the stack's TLS proxy
    // (scripts/https-proxy), which serves VITE_PORT.
    port: Number(process.env.VITE_BIND_PORT ?? publicPort),
    strictPort: true,
    // The page comes from Django (:8000); assets and HMR must point back here.
    origin: `${https ? 'https' : 'http'}://localhost:${publicPort}`,
    // Behind the proxy the HMR client connects to the proxy's port, over wss.
    hmr: https ? { protocol: 'wss', host: 'localhost', clientPort: publicPort } : undefined,
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
