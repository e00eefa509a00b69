// Screenshots of a view in the light scheme and in the dark one, for the README and
// ui/screenshots: `DIR/NAME-light.png` and `DIR/NAME-dark.png`. The page is left light.
export async function shoot(page, dir, name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${dir}/${name}-${scheme}.png` });
  }
  await page.emulateMedia({ colorScheme: "light" });
}
