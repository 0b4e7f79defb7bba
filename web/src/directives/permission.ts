import type { Directive, DirectiveBinding } from 'vue';
import { useAuthStore } from '@/store';

type Required = string | string[];

function check(el: HTMLElement, binding: DirectiveBinding<Required>) {
  const auth = useAuthStore();
  if (!auth.can(binding.value)) el.parentNode?.removeChild(el);
}

/**
 * `v-permission="'users.manage'"` (or a list: any one suffices) removes the element
 * for users without the permission.
 */
export const permission: Directive<HTMLElement, Required> = {
  mounted: check,
  updated: check,
};

export default permission;
