import { useRouter } from 'vue-router';
import { useAuthStore } from '@/store';
import type { Drill } from '@/utils/analytics';

/**
 * The list behind a figure, if the user may open it (a sales user has no usage pages):
 * null otherwise, and the figure is shown without a link.
 */
export function useDrill() {
  const router = useRouter();
  const auth = useAuthStore();
  return (drill: Drill | null): Drill | null => {
    if (!drill) return null;
    return auth.can(router.resolve(drill).meta.permission) ? drill : null;
  };
}
