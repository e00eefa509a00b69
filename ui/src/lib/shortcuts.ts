// The keyboard's shortcuts, as the `?` help lists them (App's key handler acts on them).
export const SHORTCUTS: readonly (readonly [string, string])[] = [
  ["Ctrl+K", "commands: find a container or an action"],
  ["/", "search"],
  ["n", "new container"],
  ["Arrows", "move between cards"],
  ["Enter or i", "details of the card in focus"],
  ["e", "edit it"],
  ["Menu or Shift+F10", "its menu of actions (also a right click)"],
  ["s", "start or stop it"],
  ["r", "restart it"],
  ["p", "pause or resume it"],
  ["t", "open its terminal"],
  ["Delete", "delete it (asks first)"],
  ["?", "this list"],
];
