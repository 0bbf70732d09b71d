"""Reading the board that inventory's `get_board` RPC answers with.

The answer is `{"gzip_base64": …}`: the board's JSON text (contracts.inventory.BoardSchema),
gzipped, so that 20,000 rooms cross the broker and the gateway without being parsed. Rooms are
columnar: `columns` names the fields once and each room is a list of values in that order.
"""
import base64
import gzip
import json


def board_json(packed: dict) -> bytes:
    return gzip.decompress(base64.b64decode(packed["gzip_base64"]))


def unpack_board(packed: dict) -> dict:
    return json.loads(board_json(packed))


def board_cells(board: dict) -> list[dict]:
    """The board's rooms as one object each, for readers that prefer names to positions."""
    return [dict(zip(board["columns"], row)) for row in board["units"]]
