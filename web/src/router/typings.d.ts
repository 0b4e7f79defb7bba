import 'vue-router';
import type { Component } from 'vue';
import type { HelpTopic } from './help';

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title (also the menu label). */
    title?: string;
    /** Reachable without signing in. */
    public?: boolean;
    /** Permission code needed to open the page (and to see it in the menu); for a list, any one. */
    permission?: string | string[];
    /** Menu icon. */
    icon?: Component;
    /** Key of the menu group the entry belongs to. */
    group?: string;
    /** Position in the menu, lower first. */
    order?: number;
    hideInMenu?: boolean;
    /** For pages outside the menu: the route name whose entry stays highlighted. */
    activeMenu?: string;
    /** The manual's chapter#heading for this page (router/help.ts), per role when they differ. */
    help?: HelpTopic;
  }
}
