/**
 * Mounting a component the way the app runs it (Arco and the locale, plus a router or
 * whatever else a spec passes), and waiting for its requests and renders to settle.
 */
import { afterEach } from 'vitest';
import { createApp, h, nextTick, type Component, type Plugin } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import i18n from '@/locale';
import { useAuthStore } from '@/store';

/** Lets pending promises, timers of 0 and Vue's updates run, `rounds` times. */
export async function flush(rounds = 4) {
  for (let i = 0; i < rounds; i += 1) {
    await new Promise((r) => setTimeout(r, 0));
    await nextTick();
  }
}

const mounted: (() => void)[] = [];
afterEach(() => {
  for (const unmount of mounted.splice(0)) unmount();
});

/** Mounts `root` in an element of its own, unmounted after the test; answers the element. */
export async function mountApp(root: Component, ...plugins: Plugin[]): Promise<HTMLElement> {
  const el = document.createElement('div');
  document.body.appendChild(el);
  const app = createApp(root).use(ArcoVue).use(i18n);
  for (const plugin of plugins) app.use(plugin);
  app.mount(el);
  await flush();
  mounted.push(() => {
    app.unmount();
    el.remove();
  });
  return el;
}

/**
 * Mounts `page` at `path` of a memory router (every other path renders nothing), for a
 * user with `permissions`; answers the element.
 */
export async function mountPage(path: string, page: Component, permissions: string[]): Promise<HTMLElement> {
  return (await mountRoutedPage(path, page, permissions)).el;
}

/** `mountPage`, answering the router too, for a spec that follows the URL (a list's filters). */
export async function mountRoutedPage(path: string, page: Component, permissions: string[]) {
  setActivePinia(createPinia());
  useAuthStore().permissions = permissions;
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: path.split('?')[0]!, component: page },
      { path: '/:rest(.*)*', component: { render: () => null } },
    ],
  });
  await router.push(path);
  const el = await mountApp({ render: () => h(RouterView) }, router);
  return { el, router };
}
