import { ref, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message, Modal } from '@arco-design/web-vue';
import { acceptErpConflict, keepErpConflict, listErpConflicts } from '@/api/integrations';
import type { ErpConflict } from '@/api/types';

/**
 * The open ERP customer conflicts and a person's decision on each, asked first: 采用 ERP 值
 * (written through the import's rules; a refusal is the server's 422) or 保留本地值. A
 * conflict a newer pull replaced is the server's 409; either way the list is read again.
 */
export function useErpConflicts(afterDecision: () => unknown) {
  const { t } = useI18n();
  const conflicts = shallowRef<ErpConflict[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const deciding = ref<number | null>(null);

  async function load() {
    loading.value = true;
    try {
      const page = await listErpConflicts({ page: 1, page_size: 100 }, { silent: true });
      conflicts.value = page.items;
      total.value = page.total;
    } catch {
      // The connectors' panel shows why the page could not be read.
    } finally {
      loading.value = false;
    }
  }

  function decide(conflict: ErpConflict, how: 'accept' | 'keep') {
    Modal.confirm({
      title: t(`integrations.conflicts.${how}`),
      content: t(`integrations.conflicts.${how}Confirm`, { code: conflict.customer.customer_code, name: conflict.customer.company_name }),
      onBeforeOk: async () => {
        deciding.value = conflict.customer.id;
        try {
          const call = how === 'accept' ? acceptErpConflict : keepErpConflict;
          await call(conflict.customer.id, conflict.digest);
          Message.success(t(`integrations.conflicts.${how}Done`));
          return true;
        } catch {
          return false;
        } finally {
          deciding.value = null;
          void load();
          void afterDecision();
        }
      },
    });
  }

  return {
    conflicts,
    total,
    loading,
    deciding,
    load,
    accept: (c: ErpConflict) => decide(c, 'accept'),
    keep: (c: ErpConflict) => decide(c, 'keep'),
  };
}
