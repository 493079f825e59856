// Pictures for the sample workspace, drawn at run time from SVG by sharp, so the project ships no image files and
// nothing real: a chart, a made-up identity card, a terminal, pills, an invented emblem, a receipt, and an abstract
// red-and-black stand-in for a graphic image (no person, no injury: it only lets blur, reveal and the exposure counter
// be tried on something marked graphic).
import sharp from 'sharp';
import type { SampleImageKind } from './sample-cases';

const W = 640;
const H = 420;

function frame(background: string, body: string, caption: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
  <rect width="${W}" height="${H}" fill="${background}"/>
  ${body}
  <rect x="0" y="${H - 34}" width="${W}" height="34" fill="#000" fill-opacity="0.55"/>
  <text x="12" y="${H - 11}" font-family="sans-serif" font-size="16" fill="#fff">${caption}</text>
</svg>`;
}

const DRAWINGS: Record<SampleImageKind, () => string> = {
  chart: () =>
    frame(
      '#f8fafc',
      [120, 170, 210, 300]
        .map(
          (h, i) =>
            `<rect x="${90 + i * 120}" y="${360 - h}" width="70" height="${h}" fill="#0284c7"/>` +
            `<text x="${105 + i * 120}" y="380" font-family="sans-serif" font-size="14" fill="#111">Q${i + 1}</text>`,
        )
        .join('') + '<line x1="70" y1="360" x2="590" y2="360" stroke="#111" stroke-width="2"/>',
      'SAMPLE · synthetic chart',
    ),
  'id-card': () =>
    frame(
      '#e2e8f0',
      `<rect x="80" y="60" width="480" height="280" rx="18" fill="#fff" stroke="#64748b" stroke-width="3"/>
       <rect x="110" y="100" width="130" height="160" fill="#cbd5e1"/>
       <circle cx="175" cy="160" r="38" fill="#94a3b8"/>
       ${[110, 150, 190, 230].map((y) => `<rect x="270" y="${y}" width="${240 - (y % 3) * 20}" height="16" fill="#cbd5e1"/>`).join('')}
       <text x="270" y="300" font-family="sans-serif" font-size="18" fill="#334155">SPECIMEN · NOT A REAL ID</text>`,
      'SAMPLE · invented identity card',
    ),
  terminal: () =>
    frame(
      '#0f172a',
      Array.from(
        { length: 12 },
        (_, i) =>
          `<text x="20" y="${40 + i * 26}" font-family="monospace" font-size="15" fill="#4ade80">sshd: Failed password for root from 203.0.113.${7 + (i % 3)} port ${40000 + i * 17}</text>`,
      ).join(''),
      'SAMPLE · synthetic log (documentation addresses)',
    ),
  'graphic-stand-in': () =>
    frame(
      '#1c0a0a',
      Array.from({ length: 14 }, (_, i) => {
        const x = 60 + ((i * 97) % 520);
        const y = 50 + ((i * 61) % 300);
        return `<ellipse cx="${x}" cy="${y}" rx="${30 + (i % 5) * 14}" ry="${18 + (i % 4) * 10}" fill="#991b1b" fill-opacity="${0.5 + (i % 3) * 0.15}"/>`;
      }).join('') +
        '<text x="150" y="200" font-family="sans-serif" font-size="26" fill="#fecaca">GRAPHIC-IMAGE STAND-IN</text>',
      'SAMPLE · abstract stand-in for a graphic image',
    ),
  pills: () =>
    frame(
      '#f0fdf4',
      Array.from({ length: 9 }, (_, i) => {
        const x = 90 + (i % 3) * 170;
        const y = 70 + Math.floor(i / 3) * 100;
        const colour = ['#2563eb', '#f59e0b', '#f8fafc'][i % 3];
        return `<rect x="${x}" y="${y}" width="110" height="44" rx="22" fill="${colour}" stroke="#334155" stroke-width="2"/>`;
      }).join(''),
      'SAMPLE · generic pills, no brand',
    ),
  flag: () =>
    frame(
      '#cbd5e1',
      `<rect x="120" y="70" width="400" height="250" fill="#111827"/>
       <polygon points="320,110 360,230 260,160 380,160 280,230" fill="#eab308"/>
       <rect x="110" y="60" width="10" height="330" fill="#78350f"/>`,
      'SAMPLE · invented emblem, no real group',
    ),
  receipt: () =>
    frame(
      '#e7e5e4',
      `<rect x="200" y="30" width="240" height="340" fill="#fff"/>
       ${Array.from({ length: 9 }, (_, i) => `<rect x="220" y="${60 + i * 30}" width="${120 + ((i * 37) % 80)}" height="12" fill="#a8a29e"/>`).join('')}
       <text x="220" y="355" font-family="monospace" font-size="16" fill="#111">TOTAL 42.00</text>`,
      'SAMPLE · synthetic receipt',
    ),
};

/** PNG bytes of one sample picture. */
export async function drawSampleImage(kind: SampleImageKind): Promise<Buffer> {
  return sharp(Buffer.from(DRAWINGS[kind]())).png().toBuffer();
}
