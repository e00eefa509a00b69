// The service chips of a running container, from its `urls` map (slug → URL).

export interface Chip {
  slug: string;
  label: string;
  url: string;
}

const NAMED: Record<string, string> = {
  "terminal-1": "Terminal",
  "display-1": "Display",
  "files-1": "Files",
  "exec-1": "Exec",
  "sqlite-1": "SQLite",
};

export function services(urls: Record<string, string>): Chip[] {
  const named = Object.entries(NAMED)
    .filter(([slug]) => urls[slug])
    .map(([slug, label]) => ({ slug, label, url: urls[slug] }));
  const ports = Object.entries(urls)
    .filter(([slug]) => /^https?-\d+$/.test(slug))
    .map(([slug, url]) => ({ slug, label: `:${slug.split("-")[1]}${slug.startsWith("https") ? " (TLS)" : ""}`, url }))
    .sort((a, b) => Number(a.slug.split("-")[1]) - Number(b.slug.split("-")[1]));
  return [...named, ...ports];
}
