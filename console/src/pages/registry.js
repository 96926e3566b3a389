// Every page of the console: its route, its title in the navigation, the scope it needs (the
// link is shown to callers who have it; null: any caller) and how its module is loaded. Each
// page is its own chunk, fetched when first opened, so the first page stays small.
export const PAGES = [
  { route: '/status', title: 'Status', scope: null, load: () => import('./status.js') },
  { route: '/documents', title: 'Documents', scope: 'files', load: () => import('./documents.js') },
  { route: '/chat', title: 'Chat', scope: 'chat', load: () => import('./chat.js') },
  { route: '/voice', title: 'Voice', scope: 'voice', load: () => import('./voice.js') },
  { route: '/ml', title: 'ML', scope: 'ml', load: () => import('./ml.js') },
  { route: '/jobs', title: 'Jobs', scope: null, load: () => import('./jobs.js') },
  { route: '/keys', title: 'Keys', scope: 'admin', load: () => import('./keys.js') },
];

/** The page for `route`, or the first one. */
export function pageFor(route) {
  return PAGES.find((page) => page.route === route) ?? PAGES[0];
}
