import { useAuthStore } from '@/store';
import type { RouteLocationNormalized, RouteRecordRaw } from 'vue-router';

export function usePermission() {
  const auth = useAuthStore();
  return {
    /** Holds the permission (or any one of the list). */
    hasPermission: (required: string | string[] | undefined) => auth.can(required),
    /** May open the route. */
    canAccessRoute: (route: RouteLocationNormalized | RouteRecordRaw) => auth.can(route.meta?.permission),
  };
}
