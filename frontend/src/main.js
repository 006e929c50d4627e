// Tailwind's own stylesheet, compiled by @tailwindcss/vite: the app has no CSS files of its own.
import 'tailwindcss/index.css'

import { defineAsyncComponent } from 'vue'

import AppContainer from '@/components/AppContainer.vue'
import AuthForm from '@/components/AuthForm.vue'
import { createAppInEl } from '@/create-app-in-el.js'

// Mount points a Django template may place (seed section 21); a page without one skips it.
createAppInEl(AppContainer, '#vue-app')
createAppInEl(AuthForm, '#vue-auth')
// Loaded only on a page that has the mount point.
createAppInEl(
  defineAsyncComponent(() => import('@/components/FormView.vue')),
  '#vue-feature',
)
