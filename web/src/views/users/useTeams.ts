import { onMounted, ref, shallowRef } from 'vue';
import { listTeams } from '@/api/teams';
import type { Team } from '@/api/types';

/**
 * The sales teams the users page shows beside each user, offers in the user dialog and
 * keeps in its 销售团队 drawer; loaded with the page and after every change.
 */
export function useTeams() {
  const teams = shallowRef<Team[]>([]);
  const loading = ref(false);

  async function load() {
    loading.value = true;
    try {
      teams.value = await listTeams();
    } catch {
      // The client has shown the message; the names fall back to #id.
    } finally {
      loading.value = false;
    }
  }

  onMounted(load);
  return { teams, loading, reload: load };
}
