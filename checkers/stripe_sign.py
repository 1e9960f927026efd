#!/usr/bin/env python3
"""Makes and checks Stripe webhook signatures, independently of the application's verifier.

    python3 checkers/stripe_sign.py --secret SECRET [--timestamp UNIX] FILE|-
    python3 checkers/stripe_sign.py --secret SECRET --verify HEADER [--tolerance SECONDS]
                                    [--timestamp UNIX] FILE|-

Stripe signs a webhook delivery with the endpoint's secret (whsec_..., used whole, as UTF-8
octets, as the HMAC key) over the octets "<timestamp>.<raw body>", and sends

    Stripe-Signature: t=<timestamp>,v1=<lowercase hex HMAC-SHA256>

Signing prints that header value for the payload read from FILE, or from standard input when
FILE is "-". The payload is taken byte for byte: no newline is added or removed. --timestamp
defaults to the current time.

--verify HEADER checks a header against the payload as Stripe's libraries do: the first t=
gives the timestamp, every v1= is a candidate signature (other schemes, such as v0, are ignored),
one candidate must match, and the timestamp may be at most --tolerance seconds old (default 300;
0 turns the age check off). With --verify, --timestamp stands for "now" in the age check.

Python standard library only. Exit status: 0 signed, or the header is valid; 1 the header is not
valid (the reason on standard error); 2 usage error or unreadable FILE.
"""
import argparse
import hashlib
import hmac
import sys
import time

DEFAULT_TOLERANCE = 300


def signature(secret, timestamp, payload):
    message = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header(secret, timestamp, payload):
    return f"t={timestamp},v1={signature(secret, timestamp, payload)}"


def problem_with(header_value, secret, payload, now, tolerance):
    """None when the header is valid, else why not."""
    timestamp = None
    candidates = []
    for item in header_value.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and timestamp is None:
            timestamp = value
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not timestamp.isdigit():
        return "the header has no valid t=<unix time>"
    if not candidates:
        return "the header has no v1= signature"
    expected = signature(secret, int(timestamp), payload)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        return "no v1 signature matches this payload and secret"
    age = now - int(timestamp)
    if tolerance > 0 and age > tolerance:
        return f"the timestamp is {age} s old, more than the tolerance of {tolerance} s"
    return None


def read_payload(source):
    if source == "-":
        return sys.stdin.buffer.read()
    with open(source, "rb") as handle:
        return handle.read()


def unix_time(text):
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a Unix time in whole seconds")
    return int(text)


def non_negative(text):
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds")
    return int(text)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="stripe_sign.py",
        description="Print (or --verify) the Stripe-Signature header of a webhook payload.")
    parser.add_argument("source", metavar="FILE|-", help="the payload; '-' reads standard input")
    parser.add_argument("--secret", required=True, help="the webhook endpoint secret (whsec_...)")
    parser.add_argument("--timestamp", type=unix_time,
                        help="signing time (default: now); with --verify, the time to check the age against")
    parser.add_argument("--verify", metavar="HEADER", help="check this Stripe-Signature header instead of signing")
    parser.add_argument("--tolerance", type=non_negative, default=DEFAULT_TOLERANCE,
                        help=f"with --verify: largest accepted age in seconds (default {DEFAULT_TOLERANCE}, 0 = any)")
    args = parser.parse_args(argv)  # exits 2 on a usage error
    if not args.secret:
        parser.error("--secret must not be empty")
    try:
        payload = read_payload(args.source)
    except OSError as err:
        print(f"stripe_sign.py: cannot read {args.source}: {err.strerror}", file=sys.stderr)
        return 2
    now = args.timestamp if args.timestamp is not None else int(time.time())
    if args.verify is None:
        print(header(args.secret, now, payload))
        return 0
    reason = problem_with(args.verify, args.secret, payload, now, args.tolerance)
    if reason is not None:
        print(f"stripe_sign.py: invalid signature: {reason}", file=sys.stderr)
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
