import { onBeforeUnmount, ref } from 'vue';

/** Below this width the side menu becomes a drawer and lists become cards. */
export const MOBILE_BREAKPOINT = 768;

export function useResponsive() {
  const query = window.matchMedia(`(max-width: ${MOBILE_BREAKPOINT - 1}px)`);
  const isMobile = ref(query.matches);
  const onChange = (event: MediaQueryListEvent) => {
    isMobile.value = event.matches;
  };
  query.addEventListener('change', onChange);
  onBeforeUnmount(() => query.removeEventListener('change', onChange));
  return { isMobile };
}
