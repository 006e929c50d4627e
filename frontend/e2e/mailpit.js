// Reads mail from mailpit's HTTP API (the dev stack's SMTP sink).
const MAILPIT_URL = process.env.MAILPIT_URL ?? 'http://127.0.0.1:8025'

async function getJson(path) {
  const response = await fetch(new URL(path, MAILPIT_URL))
  if (!response.ok) throw new Error(`mailpit ${path}: HTTP ${response.status}`)
  return response.json()
}

// The newest message to `address`, waiting for it to arrive (the API sends it synchronously,
// but SMTP delivery into mailpit can trail the HTTP answer a little).
export async function waitForMessageTo(address, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const { messages } = await getJson('/api/v1/messages?limit=100')
    const summary = messages.find((message) =>
      message.To.some((to) => to.Address.toLowerCase() === address.toLowerCase()),
    )
    if (summary) return getJson(`/api/v1/message/${summary.ID}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`no mail to ${address} in mailpit after ${timeoutMs} ms`)
}

// The value of `name` in the first link of the mail that carries it, still URL-encoded.
export function linkParameter(message, name) {
  const match = new RegExp(`[?&]${name}=([^\\s&"'<>]+)`).exec(message.Text ?? message.HTML)
  if (!match) throw new Error(`no ${name} link in mail "${message.Subject}"`)
  return match[1]
}
