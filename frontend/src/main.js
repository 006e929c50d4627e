// Tailwind's own stylesheet, compiled by @tailwindcss/vite: the app has no CSS files of its own.
import 'tailwindcss/index.css'

import App from '@/App.vue'
import { createAppInEl } from '@/create-app-in-el.js'

// Django's page (backend/web/templates/web/index.html) places the mount point.
createAppInEl(App, '#vue-app')
