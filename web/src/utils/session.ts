import type { Router } from 'vue-router';
import { Message } from '@arco-design/web-vue';
import { configureHttp } from '@/api/http';
import i18n from '@/locale';
import { useAuthStore } from '@/store';

/** Connect the API client to the session store and the router. */
export function setupSession(router: Router): void {
  const auth = useAuthStore();

  configureHttp({
    getAccessToken: () => auth.accessToken,
    refresh: () => auth.refresh(),
    onSessionExpired: () => {
      auth.clear();
      Message.warning(i18n.global.t('http.sessionExpired'));
      const current = router.currentRoute.value;
      // During the first navigation the guard sends the user to the login page itself.
      if (current.matched.length === 0 || current.meta.public) return;
      void router.replace({ name: 'Login', query: { redirect: current.fullPath } });
    },
    onPasswordChangeRequired: () => {
      auth.markPasswordChangeRequired();
      if (router.currentRoute.value.name !== 'ChangePassword') {
        void router.replace({ name: 'ChangePassword' });
      }
    },
  });
}
