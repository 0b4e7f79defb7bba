import { createApp } from 'vue';
import ArcoVue from '@arco-design/web-vue';
import '@arco-design/web-vue/dist/arco.css';
import App from './App.vue';
import router from './router';
import pinia from './store';
import i18n from './locale';
import permission from './directives/permission';
import { setupSession } from './utils/session';
import './styles/global.css';

const app = createApp(App);
app.use(ArcoVue);
app.use(pinia);
app.use(i18n);
setupSession(router);
app.use(router);
app.directive('permission', permission);
app.mount('#app');
