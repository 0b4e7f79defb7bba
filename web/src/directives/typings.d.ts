import type { permission } from './permission';

declare module 'vue' {
  interface GlobalDirectives {
    vPermission: typeof permission;
  }
}

export {};
