import { describe, expect, it } from 'vitest';
import { createApp, h, withDirectives } from 'vue';
import { createPinia } from 'pinia';
import permission from '@/directives/permission';
import { useAuthStore } from '@/store';

function render(granted: string[], required: string | string[]) {
  const el = document.createElement('div');
  const pinia = createPinia();
  const app = createApp({
    render: () => h('div', [withDirectives(h('button', { id: 'guarded' }, 'x'), [[permission, required]]), h('span', 'kept')]),
  });
  app.use(pinia);
  useAuthStore(pinia).permissions = granted;
  app.mount(el);
  return el;
}

describe('v-permission', () => {
  it('keeps the element for a user with the permission', () => {
    expect(render(['users.manage'], 'users.manage').querySelector('#guarded')).not.toBeNull();
  });

  it('removes the element otherwise', () => {
    const el = render(['audit.view'], 'users.manage');
    expect(el.querySelector('#guarded')).toBeNull();
    expect(el.textContent).toContain('kept');
  });

  it('accepts any one of a list', () => {
    expect(render(['audit.view'], ['users.manage', 'audit.view']).querySelector('#guarded')).not.toBeNull();
  });
});
