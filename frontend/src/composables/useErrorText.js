import { useI18n } from 'vue-i18n'

import { NETWORK_ERROR, SERVER_ERROR } from '@/rest/errors.js'

// Messages from the server arrive already translated (Accept-Language); the two the client
// makes up itself are translated here.
export function useErrorText() {
  const { t } = useI18n()
  return (message) => {
    if (!message) return ''
    if (message === NETWORK_ERROR) return t('errors.network')
    const server = new RegExp(`^${SERVER_ERROR} \\((\\d+)\\)$`).exec(message)
    if (server) return t('errors.server', { status: server[1] })
    return message
  }
}
