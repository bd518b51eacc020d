import type { CloudDto, HostDto, InstanceDto } from "@nvi/contracts";

/** The topology canvas's geometry (SVG user units). */
export const COL_W = 260;
export const GAP = 28;
export const CLOUD_HEAD = 44;
export const HOST_ROW = 26;
export const VPC_ROW = 30;
export const INST_ROW = 20;

export interface PlacedHost {
  host: HostDto;
  /** offset of the host's row inside its cloud box */
  dy: number;
  instances: InstanceDto[];
}

export interface Layout {
  datacenters: {
    key: string;
    label: string;
    x: number;
    clouds: { cloud: CloudDto; y: number; height: number; hosts: PlacedHost[] }[];
  }[];
  height: number;
}

/** Datacenters as columns, their clouds stacked inside, hosts listed in each cloud. */
export function layout(clouds: CloudDto[], hosts: HostDto[], instances: InstanceDto[]): Layout {
  const byDc = new Map<string, CloudDto[]>();
  for (const c of clouds)
    byDc.set(`${c.region}/${c.datacenter}`, [...(byDc.get(`${c.region}/${c.datacenter}`) ?? []), c]);
  let height = 0;
  const datacenters = [...byDc.entries()].map(([key, cs], i) => {
    let y = 60;
    const placed = cs.map((cloud) => {
      let dy = CLOUD_HEAD;
      const mine = hosts
        .filter((h) => h.cloudId === cloud.id)
        .map((host) => {
          const on = instances.filter((i) => i.hostId === host.id);
          const placed = { host, dy, instances: on };
          dy += HOST_ROW + on.length * INST_ROW;
          return placed;
        });
      const h = Math.max(dy, CLOUD_HEAD + HOST_ROW) + 10;
      const item = { cloud, y, height: h, hosts: mine };
      y += h + 14;
      return item;
    });
    height = Math.max(height, y);
    return { key, label: key, x: GAP + i * (COL_W + GAP), clouds: placed };
  });
  return { datacenters, height };
}

/** A dragged rectangle, from where the pointer went down to where it is. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
/** The same box with its corners ordered: top-left, bottom-right. */
export const normal = (b: Box): Box => ({
  x0: Math.min(b.x0, b.x1),
  y0: Math.min(b.y0, b.y1),
  x1: Math.max(b.x0, b.x1),
  y1: Math.max(b.y0, b.y1),
});
