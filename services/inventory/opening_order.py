"""The order in which an opening's buyers choose (选房顺序), pure: no database, no clock.

- `all_at_once`: every entrant may choose from the start to the end; the first valid request
  for a unit wins.
- `slots`: entrants choose by queue number (排号), `slot_size` numbers per slot of
  `slot_minutes`, the first slot at the opening's start.
- `lottery` (摇号): as `slots`, in the order drawn from a seed announced beforehand:

      key(n) = SHA-256( UTF-8( seed + ":" + str(n) ) ), as lowercase hex
      order  = the entrants' queue numbers sorted by (key(n), n) ascending

  Anyone can recompute it from the seed and the entrants' queue numbers:
  `python -m services.inventory.opening_order --seed SEED --entrants 1,2,3` prints the order;
  `--verify order.json` (the answer of GET /api/v1/openings/{id}/order) recomputes it and
  says whether it matches (exit status 0) or not (1).
"""
import argparse
import hashlib
import json
import sys
from datetime import datetime, timedelta

ALGORITHM = "sha256-seed-queue-number-v1"


def lottery_key(seed: str, number: int) -> str:
    return hashlib.sha256(f"{seed}:{number}".encode("utf-8")).hexdigest()


def draw(seed: str, numbers) -> list[int]:
    """The lottery order of the queue numbers `numbers` (distinct) under `seed`."""
    numbers = list(numbers)
    if len(set(numbers)) != len(numbers):
        raise ValueError("queue numbers must be distinct")
    return sorted(numbers, key=lambda n: (lottery_key(seed, n), n))


def order(mode: str, numbers, seed: str | None = None) -> list[int]:
    """Queue numbers in choosing order: drawn for a lottery, ascending otherwise."""
    if mode == "lottery":
        if seed is None:
            raise ValueError("a lottery needs its seed")
        return draw(seed, numbers)
    return sorted(numbers)


def slot_of(position: int, slot_size: int) -> int:
    """The slot (0, 1, …) of the entrant at `position` (1, 2, …)."""
    if position < 1 or slot_size < 1:
        raise ValueError("position and slot_size start at 1")
    return (position - 1) // slot_size


def window(mode: str, starts_at: datetime, ends_at: datetime, position: int | None,
           slot_size: int | None, slot_minutes: int | None) -> tuple[datetime, datetime] | None:
    """When the entrant at `position` may choose: [start, end). None when they have no place
    yet (a lottery not drawn) or their slot begins after the opening ends."""
    if mode == "all_at_once":
        return starts_at, ends_at
    if position is None:
        return None
    slot = slot_of(position, slot_size)
    start = starts_at + timedelta(minutes=slot * slot_minutes)
    if start >= ends_at:
        return None
    return start, min(start + timedelta(minutes=slot_minutes), ends_at)


def verify(answer: dict) -> tuple[bool, list[int]]:
    """(matches, recomputed order) for an order as the API answers it."""
    recomputed = order(answer["mode"], answer["entrants"], answer.get("seed"))
    published = [entry["queue_number"] for entry in answer["order"]]
    return recomputed == published, recomputed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.inventory.opening_order",
                                     description="Recompute or verify an opening's lottery "
                                                 f"order ({ALGORITHM}).")
    parser.add_argument("--seed", help="the announced seed")
    parser.add_argument("--entrants", help="queue numbers, comma-separated")
    parser.add_argument("--verify", metavar="FILE",
                        help="the JSON of GET /api/v1/openings/{id}/order ('-' for stdin)")
    args = parser.parse_args(argv)
    if args.verify:
        source = sys.stdin if args.verify == "-" else open(args.verify, encoding="utf-8")
        with source:
            answer = json.load(source)
        matches, recomputed = verify(answer)
        print(json.dumps({"matches": matches, "algorithm": ALGORITHM, "order": recomputed}))
        return 0 if matches else 1
    if not args.seed or not args.entrants:
        parser.error("give --seed and --entrants, or --verify")
    numbers = [int(part) for part in args.entrants.split(",") if part.strip()]
    print(json.dumps({"algorithm": ALGORITHM, "seed": args.seed,
                      "order": draw(args.seed, numbers)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
