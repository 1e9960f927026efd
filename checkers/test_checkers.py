#!/usr/bin/env python3
"""Self-test of the independent checkers: python3 checkers/test_checkers.py

A checker that accepts everything would let every test that relies on it pass, so each one is
shown here to accept a good input and to refuse bad ones for the right reason. The checkers run
as the test suite runs them: as programs, through their command line. Standard library
unittest only; the checkers themselves need icalendar, zxing-cpp and Pillow (scripts/setup.sh
--test installs them). Nothing is skipped: a missing package fails the test that needs it.
"""
import hashlib
import hmac
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE_ICS = os.path.join(HERE, "validate_ics.py")
DECODE_QR = os.path.join(HERE, "decode_qr.py")
STRIPE_SIGN = os.path.join(HERE, "stripe_sign.py")


def run(script, *args, stdin=b""):
    return subprocess.run([sys.executable, script, *args], input=stdin, capture_output=True, timeout=120)


def crlf(text):
    """Text written with '\\n' line ends, as the CRLF octets a calendar file must hold."""
    return text.replace("\n", "\r\n").encode("utf-8")


def fold(line):
    """Folds one content line at 75 octets, never inside a UTF-8 character (written here again,
    on purpose, rather than shared with the validator)."""
    pieces, current, limit = [], b"", 75
    for char in line:
        octets = char.encode("utf-8")
        if len(current) + len(octets) > limit:
            pieces.append(current)
            current, limit = b" ", 75
        current += octets
    pieces.append(current)
    return b"\r\n".join(pieces) + b"\r\n"


# A hand-written invitation as a real-world client would send it: a VTIMEZONE for Europe/Tallinn,
# times in it, hand-folded lines with multi-byte characters, quoted parameters holding ',' and ';',
# escaped TEXT (and a colon, which TEXT does not escape), an all-day event and a DURATION.
TALLINN_REQUEST = crlf("""\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Tallinn Tech Days//Hand-written invitation 1.0//EN
CALSCALE:GREGORIAN
METHOD:REQUEST
BEGIN:VTIMEZONE
TZID:Europe/Tallinn
X-LIC-LOCATION:Europe/Tallinn
BEGIN:DAYLIGHT
TZOFFSETFROM:+0200
TZOFFSETTO:+0300
TZNAME:EEST
DTSTART:19700329T030000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0300
TZOFFSETTO:+0200
TZNAME:EET
DTSTART:19701025T040000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:keynote-2027-06-08@tallinn-tech-days.example
DTSTAMP:20270301T101500Z
DTSTART;TZID=Europe/Tallinn:20270608T093000
DTEND;TZID=Europe/Tallinn:20270608T103000
SEQUENCE:2
STATUS:CONFIRMED
SUMMARY:Keynote: Ühistransport\\, andmed\\; ja linnad
DESCRIPTION:Tere tulemast! Note: doors open at 09:00.\\nBring your badge\\,
  please. Küsimused\\; vastused pärast ettekannet. Õhtul vastuvõt
 t Kultuurikatlis.
LOCATION:Kultuurikatel\\, Põhja puiestee 27a\\, 10415 Tallinn\\, Eesti
ORGANIZER;CN="Müller, Alice";SENT-BY="mailto:office@tallinn-tech-days.exa
 mple":mailto:alice.muller@tallinn-tech-days.example
ATTENDEE;CN="Tamm; Jüri";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=T
 RUE:mailto:juri.tamm@example.ee
ATTENDEE;CN=Mari Mägi;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:mari@e
 xample.ee
CATEGORIES:Keynote,Transport,Tallinn
URL:https://tallinn-tech-days.example/2027/sessions/keynote?lang=et&x=1,2
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Keynote in 15 minutes
TRIGGER:-PT15M
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:workshop-2027-06-09@tallinn-tech-days.example
DTSTAMP:20270301T101500Z
DTSTART;TZID=Europe/Tallinn:20270609T140000
DURATION:PT2H30M
SEQUENCE:0
SUMMARY:Workshop: 10:00 → 12:30 ümberkorraldus
ORGANIZER;CN="Müller, Alice":mailto:alice.muller@tallinn-tech-days.example
ATTENDEE;CN=Jüri Tamm:mailto:juri.tamm@example.ee
END:VEVENT
BEGIN:VEVENT
UID:party-2027-06-10@tallinn-tech-days.example
DTSTAMP:20270301T101500Z
DTSTART;VALUE=DATE:20270610
DTEND;VALUE=DATE:20270611
SUMMARY:Jaanipäev warm-up (all day)
ORGANIZER:mailto:alice.muller@tallinn-tech-days.example
ATTENDEE:mailto:mari@example.ee
END:VEVENT
END:VCALENDAR
""")

# A cancellation that is right in every respect but the one a test changes.
CANCELLATION = crlf("""\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//CELIS//EventXchange test//EN
METHOD:CANCEL
BEGIN:VEVENT
UID:ticket-42@eventxchange.test
DTSTAMP:20270401T120000Z
DTSTART:20270914T070000Z
DTEND:20270914T150000Z
SEQUENCE:3
STATUS:CANCELLED
SUMMARY:Copenhagen 2027 (cancelled)
ORGANIZER;CN=EventXchange:mailto:tickets@eventxchange.test
ATTENDEE;CN="Jensen, Ida":mailto:ida@example.dk
END:VEVENT
END:VCALENDAR
""")


def publish_calendar():
    """A METHOD:PUBLISH download like the application's: UTC times, long folded text."""
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//CELIS//EventXchange//EN", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", "X-WR-CALNAME:Heidelberg 2027\\, Biomarkers",
        "BEGIN:VEVENT", "UID:session-7@eventxchange.celis", "DTSTAMP:20270101T000000Z",
        "DTSTART:20270316T080000Z", "DTEND:20270316T090000Z", "SEQUENCE:0",
        'SUMMARY:Biomarkers\\, assays\\; and "validation"',
        "DESCRIPTION:" + "Ä" * 100 + "x" * 100 + "\\nLine two with a backslash \\\\",
        "LOCATION:Hörsaal 1\\, Print Media Academy",
        "URL:https://example.org/events/heidelberg-2027/sessions/7",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return b"".join(fold(line) for line in lines)


def changed(data, old, new, count=1):
    """`data` with `old` replaced; fails when `old` is not there exactly `count` times, so that a
    mistyped mutation cannot pass as a refused file."""
    old_octets = old.encode("utf-8") if isinstance(old, str) else old
    new_octets = new.encode("utf-8") if isinstance(new, str) else new
    assert data.count(old_octets) == count, f"{old!r} occurs {data.count(old_octets)} times"
    return data.replace(old_octets, new_octets)


class ValidateIcsTest(unittest.TestCase):
    def validate(self, data, *flags):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "calendar.ics")
            with open(path, "wb") as handle:
                handle.write(data)
            return run(VALIDATE_ICS, *flags, path)

    def assert_passes(self, data, *flags):
        done = self.validate(data, *flags)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        self.assertIn(b"OK ", done.stdout)

    def assert_refused_for(self, data, code, *words):
        """Refused (exit 1) with errors of the kind `code` only, mentioning every one of `words`."""
        done = self.validate(data)
        report = done.stderr.decode()
        self.assertEqual(done.returncode, 1, f"accepted a calendar with a [{code}] problem:\n{report}")
        errors = [line for line in report.splitlines() if ": error [" in line]
        self.assertTrue(errors, report)
        kinds = {line.split("[", 1)[1].split("]", 1)[0] for line in errors}
        self.assertEqual(kinds, {code}, f"refused, but not (only) for [{code}]:\n{report}")
        for word in words:
            self.assertIn(word, report)
        for line in errors:  # FILE:LINE: error ...
            self.assertRegex(line, r"calendar\.ics:\d+: error \[")
        return report

    # Good calendars

    def test_a_real_world_invitation_with_a_tallinn_vtimezone_passes(self):
        self.assert_passes(TALLINN_REQUEST)
        self.assert_passes(TALLINN_REQUEST, "--strict-folding")

    def test_a_publish_download_like_the_applications_passes(self):
        data = publish_calendar()
        self.assertTrue(any(len(line) == 75 for line in data.split(b"\r\n")), "the fold should be exercised")
        self.assert_passes(data)

    def test_a_cancellation_with_status_cancelled_passes(self):
        self.assert_passes(CANCELLATION)

    def test_several_files_and_standard_input(self):
        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for name, data in (("a.ics", TALLINN_REQUEST), ("b.ics", CANCELLATION)):
                paths.append(os.path.join(folder, name))
                with open(paths[-1], "wb") as handle:
                    handle.write(data)
            self.assertEqual(run(VALIDATE_ICS, "--strict-folding", *paths).returncode, 0)
            with open(paths[1], "wb") as handle:
                handle.write(changed(CANCELLATION, "UID:ticket-42@eventxchange.test\r\n", ""))
            self.assertEqual(run(VALIDATE_ICS, *paths).returncode, 1)
        self.assertEqual(run(VALIDATE_ICS, "-", stdin=TALLINN_REQUEST).returncode, 0)

    # Bad calendars, one fault each

    def test_lf_line_endings_are_refused(self):
        self.assert_refused_for(TALLINN_REQUEST.replace(b"\r\n", b"\n"), "crlf", "bare LF")

    def test_a_single_lf_among_crlf_is_refused(self):
        self.assert_refused_for(changed(CANCELLATION, "SEQUENCE:3\r\n", "SEQUENCE:3\n"), "crlf")

    def test_an_80_octet_unfolded_line_is_refused(self):
        summary = "SUMMARY:" + "Copenhagen 2027 " * 5  # 8 + 80 octets
        line = summary[:80]
        self.assertEqual(len(line.encode()), 80)
        report = self.assert_refused_for(
            changed(CANCELLATION, "SUMMARY:Copenhagen 2027 (cancelled)", line), "line-length", "80 octets")
        self.assertIn("calendar.ics:12:", report)

    def test_a_fold_splitting_a_utf8_character_is_refused(self):
        # "ü" is C3 BC: the fold falls between its two octets.
        data = changed(TALLINN_REQUEST, "SUMMARY:Workshop: 10:00 → 12:30 ümberkorraldus",
                       b"SUMMARY:Workshop: 10:00 \xe2\x86\x92 12:30 \xc3\r\n \xbcmberkorraldus")
        self.assert_refused_for(data, "fold-utf8", "UTF-8")

    def test_a_tzid_without_its_vtimezone_is_refused(self):
        data = changed(CANCELLATION, "DTSTART:20270914T070000Z", "DTSTART;TZID=Europe/Copenhagen:20270914T090000")
        data = changed(data, "DTEND:20270914T150000Z", "DTEND;TZID=Europe/Copenhagen:20270914T170000")
        self.assert_refused_for(data, "tzid", "Europe/Copenhagen")

    def test_an_unquoted_cn_with_a_comma_is_refused(self):
        self.assert_refused_for(changed(CANCELLATION, 'CN="Jensen, Ida"', "CN=Jensen, Ida"), "param-quote", "CN")

    def test_an_unquoted_cn_with_a_semicolon_is_refused(self):
        self.assert_refused_for(changed(TALLINN_REQUEST, 'CN="Tamm; Jüri"', "CN=Tamm; Jüri"), "param-quote")

    def test_a_missing_uid_is_refused(self):
        self.assert_refused_for(changed(CANCELLATION, "UID:ticket-42@eventxchange.test\r\n", ""), "required", "UID")

    def test_a_missing_dtstamp_is_refused(self):
        self.assert_refused_for(changed(CANCELLATION, "DTSTAMP:20270401T120000Z\r\n", ""), "required", "DTSTAMP")

    def test_cancel_without_status_cancelled_is_refused(self):
        self.assert_refused_for(changed(CANCELLATION, "STATUS:CANCELLED", "STATUS:CONFIRMED"), "method",
                                "STATUS:CANCELLED")
        self.assert_refused_for(changed(CANCELLATION, "STATUS:CANCELLED\r\n", ""), "method", "STATUS:CANCELLED")

    def test_request_without_organizer_is_refused(self):
        data = changed(TALLINN_REQUEST, "ORGANIZER:mailto:alice.muller@tallinn-tech-days.example\r\n", "")
        self.assert_refused_for(data, "method", "ORGANIZER")

    def test_an_unknown_method_is_refused(self):
        self.assert_refused_for(changed(TALLINN_REQUEST, "METHOD:REQUEST", "METHOD:INVITE"), "method")

    def test_an_unescaped_comma_in_location_is_refused(self):
        data = changed(TALLINN_REQUEST, "LOCATION:Kultuurikatel\\,", "LOCATION:Kultuurikatel,")
        self.assert_refused_for(data, "text-escape", "LOCATION", "\\,")

    def test_an_escaped_colon_in_text_is_refused(self):
        # A colon needs no escape in TEXT, and "\:" is not one of the four escapes RFC 5545 has.
        self.assert_refused_for(changed(TALLINN_REQUEST, "Note: doors", "Note\\: doors"), "text-escape")

    def test_dtend_before_dtstart_is_refused(self):
        # 06:30 UTC is 09:30 in Tallinn (summer time): the same instant as DTSTART.
        data = changed(TALLINN_REQUEST, "DTEND;TZID=Europe/Tallinn:20270608T103000", "DTEND:20270608T063000Z")
        self.assert_refused_for(data, "dtend", "DTEND")

    def test_a_non_integer_sequence_is_refused(self):
        self.assert_refused_for(changed(CANCELLATION, "SEQUENCE:3", "SEQUENCE:three"), "sequence")

    def test_a_missing_version_is_refused(self):
        self.assert_refused_for(changed(CANCELLATION, "VERSION:2.0\r\n", ""), "required", "VERSION")

    def test_usage_errors_exit_2(self):
        self.assertEqual(run(VALIDATE_ICS).returncode, 2)
        self.assertEqual(run(VALIDATE_ICS, "--no-such-option", "x.ics").returncode, 2)
        self.assertEqual(run(VALIDATE_ICS, os.path.join(HERE, "no-such-file.ics")).returncode, 2)


class StripeSignTest(unittest.TestCase):
    SECRET = "whsec_test_eventxchange_checkers"
    TIMESTAMP = 1_798_761_600
    # Exactly these octets are signed: non-ASCII text and a final newline included.
    PAYLOAD = '{"id":"evt_1","object":"event","data":{"object":{"name":"Müller"}}}\n'.encode("utf-8")

    def known_header(self, payload=PAYLOAD, timestamp=TIMESTAMP, secret=SECRET):
        digest = hmac.new(secret.encode("utf-8"), b"%d." % timestamp + payload, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={digest}"

    def sign(self, *args, payload=PAYLOAD):
        done = run(STRIPE_SIGN, "--secret", self.SECRET, *args, "-", stdin=payload)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        return done.stdout.decode().strip()

    def verify(self, header, *args, payload=PAYLOAD, secret=SECRET):
        return run(STRIPE_SIGN, "--secret", secret, "--verify", header, *args, "-", stdin=payload).returncode

    def test_the_signature_matches_an_hmac_computed_here(self):
        self.assertEqual(self.sign("--timestamp", str(self.TIMESTAMP)), self.known_header())

    def test_a_file_is_signed_like_standard_input(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "event.json")
            with open(path, "wb") as handle:
                handle.write(self.PAYLOAD)
            done = run(STRIPE_SIGN, "--secret", self.SECRET, "--timestamp", str(self.TIMESTAMP), path)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        self.assertEqual(done.stdout.decode().strip(), self.known_header())

    def test_the_default_timestamp_is_now(self):
        import time

        header = self.sign()
        stamp = int(header.split(",")[0][2:])
        self.assertLessEqual(abs(stamp - time.time()), 60)
        self.assertEqual(header, self.known_header(timestamp=stamp))

    def test_verify_round_trips(self):
        header = self.sign("--timestamp", str(self.TIMESTAMP))
        self.assertEqual(self.verify(header, "--timestamp", str(self.TIMESTAMP + 10)), 0)
        self.assertEqual(self.verify(self.sign()), 0)

    def test_verify_refuses_a_changed_payload_or_another_secret(self):
        header = self.sign()
        self.assertEqual(self.verify(header, payload=self.PAYLOAD.rstrip(b"\n")), 1)
        self.assertEqual(self.verify(header, secret=self.SECRET + "x"), 1)
        self.assertEqual(self.verify(header.replace("v1=", "v0=")), 1)

    def test_verify_applies_the_tolerance(self):
        header = self.known_header()
        late = str(self.TIMESTAMP + 301)
        self.assertEqual(self.verify(header, "--timestamp", late), 1)
        self.assertEqual(self.verify(header, "--timestamp", late, "--tolerance", "400"), 0)
        self.assertEqual(self.verify(header, "--timestamp", late, "--tolerance", "0"), 0)

    def test_verify_accepts_any_matching_v1_among_several(self):
        header = self.known_header()
        rolled = f"t={self.TIMESTAMP},v1={'0' * 64},{header.split(',')[1]},v0=ignored"
        self.assertEqual(self.verify(rolled, "--timestamp", str(self.TIMESTAMP)), 0)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run(STRIPE_SIGN, "-").returncode, 2)  # no --secret
        self.assertEqual(run(STRIPE_SIGN, "--secret", "s", "--timestamp", "soon", "-").returncode, 2)
        self.assertEqual(run(STRIPE_SIGN, "--secret", "s", os.path.join(HERE, "no-such-file")).returncode, 2)


def make_qr_png(payload, path):
    """Writes a QR code of `payload` to `path` with whatever QR writer is installed: zxing-cpp 3
    (create_barcode), zxing-cpp 2 (write_barcode) or the qrcode package. Raises when none is, so
    that the decoder test fails instead of passing untested."""
    from PIL import Image

    try:
        import zxingcpp
    except ImportError:
        zxingcpp = None
    if zxingcpp is not None and hasattr(zxingcpp, "create_barcode"):
        bitmap = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode).to_image(scale=4)
    elif zxingcpp is not None and hasattr(zxingcpp, "write_barcode"):
        bitmap = zxingcpp.write_barcode(zxingcpp.BarcodeFormat.QRCode, payload, 200, 200)
    else:
        try:
            import qrcode
        except ImportError:
            raise AssertionError("no QR writer: install zxing-cpp (python3 -m pip install zxing-cpp) or qrcode")
        qrcode.make(payload).save(path)
        return
    view = memoryview(bitmap)
    height, width = view.shape[0], view.shape[1]
    Image.frombuffer("L", (width, height), view.tobytes(), "raw", "L", 0, 1).save(path, "PNG")


class DecodeQrTest(unittest.TestCase):
    PAYLOAD = "EXX1.hd27-0042.7Q4KZ9"

    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.png = os.path.join(self.folder.name, "badge.png")
        make_qr_png(self.PAYLOAD, self.png)

    def tearDown(self):
        self.folder.cleanup()

    def test_decodes_a_png_and_prints_file_tab_payload(self):
        done = run(DECODE_QR, self.png)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        self.assertEqual(done.stdout.decode(), f"{self.png}\t{self.PAYLOAD}\n")

    def test_expect_passes_only_for_exactly_that_payload(self):
        self.assertEqual(run(DECODE_QR, self.png, "--expect", self.PAYLOAD).returncode, 0)
        self.assertEqual(run(DECODE_QR, "--expect", self.PAYLOAD, self.png).returncode, 0)
        self.assertEqual(run(DECODE_QR, self.png, "--expect", self.PAYLOAD[:-1]).returncode, 1)
        self.assertEqual(run(DECODE_QR, self.png, "--expect", self.PAYLOAD + " ").returncode, 1)

    def test_a_code_on_a_transparent_background_is_read_as_printed(self):
        from PIL import Image

        grey = Image.open(self.png).convert("L")
        clear = Image.new("RGBA", grey.size, (0, 0, 0, 0))
        clear.putalpha(grey.point(lambda v: 255 - v))  # dark modules opaque black, the rest see-through
        path = os.path.join(self.folder.name, "transparent.png")
        clear.save(path)
        self.assertEqual(run(DECODE_QR, path, "--expect", self.PAYLOAD).returncode, 0)

    def test_a_code_without_quiet_zone_is_still_read(self):
        from PIL import Image, ImageOps

        grey = Image.open(self.png).convert("L")
        cropped = grey.crop(ImageOps.invert(grey).getbbox())
        path = os.path.join(self.folder.name, "tight.png")
        cropped.save(path)
        self.assertEqual(run(DECODE_QR, path, "--expect", self.PAYLOAD).returncode, 0)

    def test_an_image_without_a_code_fails(self):
        from PIL import Image

        path = os.path.join(self.folder.name, "blank.png")
        Image.new("L", (200, 200), 255).save(path)
        done = run(DECODE_QR, path)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stdout, b"")
        self.assertEqual(run(DECODE_QR, self.png, path).returncode, 1)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run(DECODE_QR).returncode, 2)
        self.assertEqual(run(DECODE_QR, self.png, "--expect").returncode, 2)
        self.assertEqual(run(DECODE_QR, self.png, "--bogus").returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
