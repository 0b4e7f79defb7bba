import { createPinia } from 'pinia';

export { useAuthStore } from './modules/auth';
export { useAppStore } from './modules/app';

export default createPinia();
