import type { Router } from 'vue-router';
import { isApiError } from '@/api/http';
import i18n from '@/locale';
import { useAuthStore } from '@/store';

function safeRedirect(value: unknown): string | null {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : null;
}

/**
 * Sign-in, forced password change and permission checks, in that order. The user and
 * permissions are loaded from `/auth/me` on the first navigation of a page load.
 */
export function setupGuards(router: Router): void {
  router.beforeEach(async (to) => {
    const auth = useAuthStore();

    if (to.meta.public) {
      if (to.name === 'Login' && auth.isLoggedIn && auth.loaded && !auth.mustChangePassword) {
        return safeRedirect(to.query.redirect) ?? '/';
      }
      return true;
    }

    if (!auth.isLoggedIn) {
      return { name: 'Login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
    }

    if (!auth.loaded) {
      try {
        await auth.fetchMe();
      } catch (error) {
        if (isApiError(error) && error.code === 'PASSWORD_CHANGE_REQUIRED' && auth.user) {
          auth.markPasswordChangeRequired();
        } else {
          // The session could not be renewed (tokens already dropped) or the server is
          // unreachable (tokens kept for the next try): either way, the login page.
          if (isApiError(error) && error.status === 401) auth.clear();
          return { name: 'Login', query: { redirect: to.fullPath } };
        }
      }
    }

    if (auth.mustChangePassword) {
      if (to.name === 'ChangePassword') return true;
      const query = to.fullPath === '/' ? {} : { redirect: to.fullPath };
      return { name: 'ChangePassword', query };
    }
    if (to.name === 'ChangePassword') return { name: 'Account' };

    if (!auth.can(to.meta.permission)) {
      return { name: 'Forbidden', query: { from: to.fullPath } };
    }
    return true;
  });

  router.afterEach((to) => {
    const { t } = i18n.global;
    const page = to.meta.title ? t(to.meta.title) : '';
    document.title = page ? `${page} - ${t('app.shortName')}` : t('app.name');
  });
}
