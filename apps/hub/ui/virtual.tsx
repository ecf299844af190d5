// A virtualised list with fixed row heights: only the rows in view (plus a margin) are in
// the DOM, so 200,000 messages or 10,000 tree rows scroll smoothly. Fixed heights make this
// a few lines of arithmetic, so no library is needed (@tanstack/virtual earns its keep with
// measured, variable heights, which these tables do not have).
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  renderRow: (item: T, index: number) => ComponentChildren;
  rowKey: (item: T, index: number) => string | number;
  /** Called when the view is within a few screens of the end (load more). */
  onNearEnd?: () => void;
  /** Keep the view at the bottom while new rows arrive, as long as the user is there (live tail). */
  followEnd?: boolean;
  /** Scroll this index into view when it changes. */
  scrollToIndex?: number;
  className?: string;
  testId?: string;
}

const OVERSCAN = 10;

export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const atEnd = useRef(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight || 600);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight || 600));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !props.followEnd || !atEnd.current) return;
    el.scrollTop = el.scrollHeight;
    setScrollTop(el.scrollTop);
  }, [items.length, props.followEnd]);

  useEffect(() => {
    const el = ref.current;
    if (!el || props.scrollToIndex === undefined || props.scrollToIndex < 0) return;
    const top = props.scrollToIndex * rowHeight;
    if (top < el.scrollTop || top + rowHeight > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 3);
      setScrollTop(el.scrollTop);
    }
  }, [props.scrollToIndex, rowHeight]);

  const nearEnd = scrollTop + height * 3 >= items.length * rowHeight;
  useEffect(() => {
    if (nearEnd) props.onNearEnd?.();
  }, [nearEnd, items.length]);

  const onScroll = (): void => {
    const el = ref.current;
    if (!el) return;
    atEnd.current = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
    setScrollTop(el.scrollTop);
  };

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div class="vrow" key={props.rowKey(items[i], i)} style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}>
        {props.renderRow(items[i], i)}
      </div>,
    );
  }
  return (
    <div class={`vlist ${props.className ?? ''}`} ref={ref} onScroll={onScroll} data-testid={props.testId}>
      <div class="vspace" style={{ height: `${items.length * rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
