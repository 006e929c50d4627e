// Runtime configuration comes from the Django page (`{{ app_config|json_script:"app-config" }}`),
// never from build-time variables: the built files are read-only (Nix store) and shared by
// every deployment.
const DEFAULTS = Object.freeze({
  apiRoot: '/api/v1/',
  staticRoot: '/static/',
  appName: '',
  version: '',
  environment: '',
})

export function readAppConfig(doc = globalThis.document) {
  const element = doc?.getElementById('app-config')
  if (!element) return { ...DEFAULTS }
  try {
    return { ...DEFAULTS, ...JSON.parse(element.textContent) }
  } catch {
    return { ...DEFAULTS }
  }
}
