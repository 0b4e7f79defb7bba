import 'vue-router';
import type { Component } from 'vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title (also the menu label). */
    title?: string;
    /** Reachable without signing in. */
    public?: boolean;
    /** Permission code needed to open the page (and to see it in the menu). */
    permission?: string;
    /** Menu icon. */
    icon?: Component;
    /** Key of the menu group the entry belongs to. */
    group?: string;
    /** Position in the menu, lower first. */
    order?: number;
    hideInMenu?: boolean;
  }
}
