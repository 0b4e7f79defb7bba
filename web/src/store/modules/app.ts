import { defineStore } from 'pinia';
import { ref } from 'vue';

/** Layout state: side menu collapsed on desktop, drawer open on phones. */
export const useAppStore = defineStore('app', () => {
  const menuCollapsed = ref(localStorage.getItem('opcms.menu_collapsed') === '1');
  const drawerOpen = ref(false);

  function setMenuCollapsed(value: boolean) {
    menuCollapsed.value = value;
    localStorage.setItem('opcms.menu_collapsed', value ? '1' : '0');
  }

  return { menuCollapsed, drawerOpen, setMenuCollapsed };
});
