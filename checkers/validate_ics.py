#!/usr/bin/env python3
"""Strict checker for iCalendar files (RFC 5545, plus the METHOD rules of RFC 5546).

    python3 checkers/validate_ics.py [--strict-folding] FILE.ics [FILE.ics ...]
    some-command | python3 checkers/validate_ics.py -

It is written for EventXchange but shares no code with the application: the application's own
tests and its calendar writer could agree on a mistake, this file cannot agree with them by
construction. Two independent passes look at every file:

  * the raw octets, read here line by line: CRLF line ends, physical lines of at most 75 octets,
    folds that start with one space or tab and never cut a UTF-8 character in two, well-formed
    parameter lists (values holding ':', ';' or ',' in double quotes), TEXT escaping;
  * the `icalendar` package's parser (pip install icalendar): the file must parse, no property
    may come back as broken, and date-times are decoded by it (with the file's own VTIMEZONEs)
    to compare DTSTART with DTEND.

Checks, each reported as "FILE:LINE: error [code] message":
  [crlf] [bom] [control] [utf8]   line ends and octets
  [line-length] [fold-utf8]       folding (RFC 5545 3.1)
  [syntax] [param-quote]          content-line grammar and parameter quoting (3.1, 3.2)
  [text-escape] [uri]             TEXT escaping (3.3.11); URI values are not TEXT
  [structure]                     BEGIN/END nesting, exactly one VCALENDAR with a component
  [required] [repeated]           VERSION:2.0, PRODID; UID, DTSTAMP, DTSTART in every VEVENT...
  [datetime] [dtend] [sequence] [status]
  [tzid]                          every TZID parameter has its VTIMEZONE (3.2.19)
  [method]                        METHOD values and the per-method rules of RFC 5546
  [parser]                        what the icalendar package rejects
Warnings (printed, but the file still passes): floating local times, no VEVENT at all.

--strict-folding is accepted for compatibility and is always on: a line over 75 octets is an
error, not a warning. Exit status: 0 every file passed ("OK FILE" on standard output),
1 some check failed (one message per problem on standard error), 2 usage error, unreadable
file, or icalendar not installed.
"""
import datetime
import re
import sys
from collections import namedtuple

USAGE = "usage: validate_ics.py [--strict-folding] FILE.ics|- [FILE.ics ...]"

MAX_OCTETS = 75

Problem = namedtuple("Problem", "line code message warning")
# One unfolded content line: where it starts, its name, its parameters as a list of
# (NAME, [(value, was_quoted), ...]) in file order, and its value.
Prop = namedtuple("Prop", "line name params value")

NAME = re.compile(r"[A-Za-z0-9-]+")

# Parameters RFC 5545 defines with a single value; a comma in one of them, unquoted, makes the
# value read as a list, which is the classic CN=Müller, Alice mistake.
SINGLE_VALUED_PARAMS = {
    "ALTREP", "CN", "CUTYPE", "DIR", "ENCODING", "FMTTYPE", "FBTYPE", "LANGUAGE", "PARTSTAT",
    "RANGE", "RELATED", "RELTYPE", "ROLE", "RSVP", "SENT-BY", "TZID", "VALUE",
    "EMAIL", "LABEL", "SCHEDULE-AGENT", "SCHEDULE-FORCE-SEND",
}
# Parameters whose values are URIs or calendar addresses, which the grammar always quotes.
ALWAYS_QUOTED_PARAMS = {"ALTREP", "DIR", "SENT-BY", "MEMBER", "DELEGATED-TO", "DELEGATED-FROM"}

# TEXT properties (3.3.11): ',' and ';' escaped with a backslash, newline written as \n.
SINGLE_TEXT_PROPS = {
    "SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CONTACT", "UID", "TZNAME", "PRODID",
    "X-WR-CALNAME", "X-WR-CALDESC",
}
# TEXT lists: an unescaped ',' separates values, ';' must still be escaped.
LIST_TEXT_PROPS = {"CATEGORIES", "RESOURCES"}
URI_PROPS = {"URL", "TZURL", "SOURCE"}
CAL_ADDRESS_PROPS = {"ORGANIZER", "ATTENDEE"}

DATE_TIME_PROPS = {"DTSTART", "DTEND", "RECURRENCE-ID", "DUE"}
UTC_ONLY_PROPS = {"DTSTAMP", "CREATED", "LAST-MODIFIED", "COMPLETED"}
LIST_DATE_PROPS = {"EXDATE", "RDATE"}

VEVENT_AT_MOST_ONCE = {
    "UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "LOCATION",
    "SEQUENCE", "STATUS", "CLASS", "CREATED", "LAST-MODIFIED", "ORGANIZER", "PRIORITY",
    "TRANSP", "URL", "RECURRENCE-ID", "GEO",
}
VCALENDAR_AT_MOST_ONCE = {"VERSION", "PRODID", "CALSCALE", "METHOD"}
VEVENT_STATUSES = {"TENTATIVE", "CONFIRMED", "CANCELLED"}
# RFC 5546 section 1.4.
METHODS = {"PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER", "DECLINECOUNTER"}

DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DATE_TIME_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$")
DURATION_RE = re.compile(r"^[+-]?P(?:\d+W|(?=\d|T\d)(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$")


class Component:
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.end = line  # the END line, once read
        self.props = []
        self.children = []

    def all(self, name):
        return [p for p in self.props if p.name == name]

    def first(self, name):
        found = self.all(name)
        return found[0] if found else None


class Report:
    def __init__(self):
        self.problems = []

    def error(self, line, code, message):
        self.problems.append(Problem(line, code, message, False))

    def warn(self, line, code, message):
        self.problems.append(Problem(line, code, message, True))


# ---------------------------------------------------------------------------------------------
# Pass 1: octets, physical lines and folding


def split_physical(data, report):
    """Physical lines as (line number, octets without the line end). Reports every line end that
    is not CRLF, stray CRs, control characters and a byte-order mark."""
    if data.startswith(b"\xef\xbb\xbf"):
        report.error(1, "bom", "the file starts with a UTF-8 byte-order mark; iCalendar has none")
        data = data[3:]
    if not data:
        report.error(1, "structure", "the file is empty")
        return []
    ends = data.count(b"\n")
    if not data.endswith(b"\n"):
        report.error(ends + 1, "crlf", "the last line does not end with CRLF")
    lines = []
    lf_only = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if number == ends + 1 and raw == b"":
            break  # what follows the final line end
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        elif number <= ends:
            lf_only.append(number)
        if b"\r" in raw:
            report.error(number, "crlf", "a carriage return that does not end the line (bare CR)")
        for octet in set(raw):
            if (octet < 0x20 and octet != 0x09) or octet == 0x7F:
                report.error(number, "control", f"control character 0x{octet:02X} in a content line")
        lines.append((number, raw))
    if lf_only:
        shown = ", ".join(str(n) for n in lf_only[:5]) + (" ..." if len(lf_only) > 5 else "")
        report.error(lf_only[0], "crlf",
                     f"{len(lf_only)} line(s) end with a bare LF instead of CRLF (lines {shown})")
    return lines


def incomplete_utf8_tail(octets):
    """How many octets at the end of `octets` start a UTF-8 character that is not finished."""
    for back in range(1, min(4, len(octets)) + 1):
        octet = octets[-back]
        if octet & 0xC0 == 0x80:
            continue  # a continuation octet: look further back for the lead octet
        if octet & 0x80 == 0:
            return 0
        needed = 2 if octet & 0xE0 == 0xC0 else 3 if octet & 0xF0 == 0xE0 else 4 if octet & 0xF8 == 0xF0 else 0
        return back if needed > back else 0
    return 0


def check_octets_and_unfold(lines, report):
    """Checks line lengths and folds, then joins folded lines. Returns [(line, text)]."""
    logical = []
    previous = None
    for index, (number, raw) in enumerate(lines):
        if len(raw) > MAX_OCTETS:
            report.error(number, "line-length",
                         f"{len(raw)} octets on one line; RFC 5545 3.1 folds lines longer than "
                         f"{MAX_OCTETS} octets (CRLF not counted)")
        continuation = raw[:1] in (b" ", b"\t")
        body = raw[1:] if continuation else raw
        if continuation and previous is None:
            report.error(number, "syntax", "the first line of the file is a continuation (starts with white space)")
        if continuation and body[:1] and body[0] & 0xC0 == 0x80 and previous is not None \
                and incomplete_utf8_tail(previous):
            report.error(number, "fold-utf8",
                         f"the fold between lines {lines[index - 1][0]} and {number} cuts a UTF-8 "
                         "character in two; fold only between characters")
        previous = raw
        if continuation and logical:
            logical[-1][1].extend(body)
        elif raw == b"":
            report.error(number, "syntax", "an empty line; iCalendar has no blank lines")
        else:
            logical.append((number, bytearray(raw)))
    decoded = []
    for number, octets in logical:
        try:
            text = bytes(octets).decode("utf-8")
        except UnicodeDecodeError as err:
            report.error(number, "utf8", f"not valid UTF-8 ({err.reason} at octet {err.start} of the unfolded line)")
            text = bytes(octets).decode("utf-8", errors="replace")
        decoded.append((number, text))
    return decoded


# ---------------------------------------------------------------------------------------------
# Pass 1 continued: content-line grammar


class SyntaxProblem(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def parse_content_line(text):
    """name *(";" param) ":" value, with param = name "=" value *("," value); a value is either
    quoted (anything but '"') or plain (anything but '"', ';', ':' and ',')."""
    match = NAME.match(text)
    if not match:
        raise SyntaxProblem("syntax", f"no property name at the start of {text[:30]!r}")
    name = match.group().upper()
    pos = match.end()
    params = []
    while pos < len(text) and text[pos] == ";":
        match = NAME.match(text, pos + 1)
        if not match or match.end() >= len(text) or text[match.end()] != "=":
            if params:
                last_name, last_values = params[-1]
                raise SyntaxProblem(
                    "param-quote",
                    f"after {last_name}={last_values[-1][0]!r} comes ';{text[pos + 1:pos + 21]}', which is not "
                    f"a parameter: a value containing ';' must be in double quotes")
            raise SyntaxProblem("syntax", f"a malformed parameter after ';' in {name}")
        param = match.group().upper()
        pos = match.end() + 1
        values = []
        while True:
            if pos < len(text) and text[pos] == '"':
                end = text.find('"', pos + 1)
                if end < 0:
                    raise SyntaxProblem("syntax", f"parameter {param} opens a double quote it never closes")
                values.append((text[pos + 1:end], True))
                pos = end + 1
            else:
                start = pos
                while pos < len(text) and text[pos] not in ';:,"':
                    pos += 1
                if pos < len(text) and text[pos] == '"':
                    raise SyntaxProblem("param-quote", f"a double quote inside the unquoted value of parameter {param}")
                values.append((text[start:pos], False))
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            break
        params.append((param, values))
    if pos >= len(text) or text[pos] != ":":
        raise SyntaxProblem("syntax", f"property {name}: expected ':' before the value")
    return name, params, text[pos + 1:]


def check_params(prop, report):
    for param, values in prop.params:
        if len(values) > 1 and param in SINGLE_VALUED_PARAMS:
            shown = ",".join(v for v, _ in values)
            report.error(prop.line, "param-quote",
                         f"{prop.name}: parameter {param}={shown} reads as {len(values)} values; a value "
                         f"containing ',' must be in double quotes ({param}=\"{shown}\")")
        for value, quoted in values:
            if not quoted and param in ALWAYS_QUOTED_PARAMS:
                report.error(prop.line, "param-quote",
                             f"{prop.name}: parameter {param} holds a URI and must be in double quotes")
    if prop.name in CAL_ADDRESS_PROPS and not prop.value.lower().startswith("mailto:") \
            and "mailto:" in prop.value.lower():
        report.error(prop.line, "param-quote",
                     f"{prop.name}: the value {prop.value!r} looks like the tail of a parameter: a parameter "
                     f"value containing ':' must be in double quotes")


def check_text_value(prop, report):
    if value_type(prop) not in (None, "TEXT"):
        return
    is_list = prop.name in LIST_TEXT_PROPS
    value = prop.value
    problems = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\":
            escaped = value[i + 1:i + 2]
            if escaped in ("\\", ";", ",", "n", "N"):
                i += 2
                continue
            shown = "\\" + escaped if escaped else "a backslash at the end"
            problems.append(f"{shown!r} is not an escape (only \\\\ \\; \\, \\n are)")
        elif char == ";":
            problems.append("an unescaped ';' (write \\;)")
        elif char == "," and not is_list:
            problems.append("an unescaped ',' (write \\,)")
        i += 1
    for message in dict.fromkeys(problems):
        report.error(prop.line, "text-escape", f"{prop.name} is TEXT: {message}")


def value_type(prop):
    for param, values in prop.params:
        if param == "VALUE":
            return values[0][0].upper()
    return None


def param(prop, name):
    for param_name, values in prop.params:
        if param_name == name:
            return values[0][0]
    return None


def read_properties(logical, report):
    """Parses each unfolded line and builds the component tree (BEGIN/END) with line numbers."""
    roots = []
    stack = []
    for number, text in logical:
        try:
            name, params, value = parse_content_line(text)
        except SyntaxProblem as problem:
            report.error(number, problem.code, str(problem))
            continue
        prop = Prop(number, name, params, value)
        check_params(prop, report)
        if name == "BEGIN":
            component = Component(value.upper(), number)
            (stack[-1].children if stack else roots).append(component)
            stack.append(component)
        elif name == "END":
            if not stack:
                report.error(number, "structure", f"END:{value} without a BEGIN")
            elif stack[-1].name != value.upper():
                report.error(number, "structure",
                             f"END:{value} closes BEGIN:{stack[-1].name} of line {stack[-1].line}")
                stack.pop()
            else:
                stack.pop().end = number
        elif not stack:
            report.error(number, "structure", f"property {name} outside any component")
        else:
            stack[-1].props.append(prop)
            if name in SINGLE_TEXT_PROPS or name in LIST_TEXT_PROPS:
                check_text_value(prop, report)
            elif name in URI_PROPS and "\\" in value:
                report.error(number, "uri", f"{name} is a URI, not TEXT: it takes no backslash escapes")
    for component in stack:
        report.error(component.line, "structure", f"BEGIN:{component.name} is never closed by END:{component.name}")
    return roots


# ---------------------------------------------------------------------------------------------
# Pass 1 continued: what the components must hold


def check_once(component, names, report):
    for name in sorted(names):
        found = component.all(name)
        if len(found) > 1:
            report.error(found[1].line, "repeated",
                         f"{component.name} (line {component.line}) has {name} {len(found)} times; at most once")


def parse_date_value(prop, text, report, utc_only=False):
    """Returns ('date'|'date-time', is_utc) for a well-formed value, else None (reported)."""
    kind = value_type(prop)
    if kind == "DATE":
        match = DATE_RE.match(text)
        if not match:
            report.error(prop.line, "datetime", f"{prop.name}: {text!r} is not a DATE (YYYYMMDD)")
            return None
        parts = match.groups()
    else:
        if kind not in (None, "DATE-TIME"):
            return None
        match = DATE_TIME_RE.match(text)
        if not match:
            hint = " (add VALUE=DATE for an all-day date)" if DATE_RE.match(text) else ""
            report.error(prop.line, "datetime", f"{prop.name}: {text!r} is not a DATE-TIME (YYYYMMDDTHHMMSS[Z]){hint}")
            return None
        parts = match.groups()[:6]
    numbers = [int(p) for p in parts]
    try:
        if len(numbers) == 3:
            datetime.date(*numbers)
        else:
            # RFC 5545 allows second 60 (a leap second).
            datetime.datetime(*numbers[:5], min(numbers[5], 59))
            if numbers[5] > 60:
                raise ValueError("second out of range")
    except ValueError as err:
        report.error(prop.line, "datetime", f"{prop.name}: {text!r} is not a real date or time ({err})")
        return None
    is_utc = kind != "DATE" and text.endswith("Z")
    tzid = param(prop, "TZID")
    if utc_only and not is_utc:
        report.error(prop.line, "datetime", f"{prop.name} must be a UTC date-time ending in 'Z'")
    if is_utc and tzid is not None:
        report.error(prop.line, "datetime", f"{prop.name}: a TZID parameter on a UTC time ('Z') is not allowed")
    if kind != "DATE" and not is_utc and tzid is None and not utc_only:
        report.warn(prop.line, "datetime",
                    f"{prop.name}:{text} is a floating local time (no TZID, no 'Z'); each reader "
                    "will place it in their own time zone")
    return ("date" if kind == "DATE" else "date-time", is_utc)


def check_timezones(calendar, report):
    known = {}
    for child in calendar.children:
        if child.name != "VTIMEZONE":
            continue
        tzid = child.first("TZID")
        if tzid is None:
            report.error(child.line, "required", "VTIMEZONE without TZID")
            continue
        if tzid.value in known:
            report.error(tzid.line, "tzid", f"a second VTIMEZONE for TZID {tzid.value!r} (first at line {known[tzid.value]})")
        known[tzid.value] = tzid.line
        rules = [c for c in child.children if c.name in ("STANDARD", "DAYLIGHT")]
        if not rules:
            report.error(child.line, "required", f"VTIMEZONE {tzid.value!r} has neither STANDARD nor DAYLIGHT")
        for rule in rules:
            for needed in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"):
                if rule.first(needed) is None:
                    report.error(rule.line, "required", f"{rule.name} of VTIMEZONE {tzid.value!r} lacks {needed}")
            for offset in rule.all("TZOFFSETFROM") + rule.all("TZOFFSETTO"):
                if not re.match(r"^[+-]\d{4}(\d{2})?$", offset.value):
                    report.error(offset.line, "datetime", f"{offset.name}: {offset.value!r} is not a UTC offset like +0200")
    return known


def walk(component):
    yield component
    for child in component.children:
        yield from walk(child)


def check_tzid_references(calendar, known, report):
    for component in walk(calendar):
        for prop in component.props:
            tzid = param(prop, "TZID")
            if tzid is not None and tzid not in known:
                report.error(prop.line, "tzid",
                             f"{prop.name} uses TZID={tzid} but the file has no VTIMEZONE with that TZID "
                             "(RFC 5545 3.2.19)")


def check_event(event, method, report):
    check_once(event, VEVENT_AT_MOST_ONCE, report)
    for needed in ("UID", "DTSTAMP", "DTSTART"):
        if event.first(needed) is None:
            report.error(event.line, "required", f"VEVENT (line {event.line}) has no {needed}")
    kinds = {}
    for prop in event.props:
        if prop.name in DATE_TIME_PROPS:
            kinds[prop.name] = parse_date_value(prop, prop.value, report)
        elif prop.name in UTC_ONLY_PROPS:
            parse_date_value(prop, prop.value, report, utc_only=True)
        elif prop.name in LIST_DATE_PROPS and value_type(prop) != "PERIOD":
            for item in prop.value.split(","):
                parse_date_value(prop, item, report)
    start, end, duration = event.first("DTSTART"), event.first("DTEND"), event.first("DURATION")
    if end is not None and duration is not None:
        report.error(duration.line, "dtend", "VEVENT has both DTEND and DURATION; at most one of them")
    if end is not None and start is None:
        report.error(end.line, "dtend", "DTEND without DTSTART")
    if start is not None and end is not None and kinds.get("DTSTART") and kinds.get("DTEND"):
        if kinds["DTSTART"][0] != kinds["DTEND"][0]:
            report.error(end.line, "dtend",
                         f"DTEND is a {kinds['DTEND'][0]} but DTSTART a {kinds['DTSTART'][0]}; both must be of one type")
    if duration is not None and not DURATION_RE.match(duration.value):
        report.error(duration.line, "dtend", f"DURATION {duration.value!r} is not an RFC 5545 duration (e.g. PT1H30M)")
    for sequence in event.all("SEQUENCE"):
        if not re.match(r"^\d+$", sequence.value):
            report.error(sequence.line, "sequence", f"SEQUENCE {sequence.value!r} is not a non-negative integer")
    for status in event.all("STATUS"):
        if status.value.upper() not in VEVENT_STATUSES:
            report.error(status.line, "status",
                         f"STATUS:{status.value} is not a VEVENT status ({', '.join(sorted(VEVENT_STATUSES))})")
    if method:
        check_event_for_method(event, method, report)


def check_event_for_method(event, method, report):
    """The RFC 5546 section 3.2 tables, for the properties a receiver acts on."""
    where = f"METHOD:{method} but the VEVENT of line {event.line}"
    organizer = event.first("ORGANIZER")
    attendees = event.all("ATTENDEE")
    status = event.first("STATUS")
    if method in ("REQUEST", "CANCEL", "ADD", "REPLY", "COUNTER", "DECLINECOUNTER", "REFRESH") and organizer is None:
        report.error(event.line, "method", f"{where} has no ORGANIZER")
    if method in ("REQUEST", "ADD", "COUNTER") and not attendees:
        report.error(event.line, "method", f"{where} has no ATTENDEE")
    if method == "REPLY" and len(attendees) != 1:
        report.error(event.line, "method", f"{where} must name exactly one ATTENDEE (the one replying), not {len(attendees)}")
    if method == "CANCEL":
        if status is None or status.value.upper() != "CANCELLED":
            found = f"STATUS:{status.value}" if status is not None else "no STATUS"
            report.error(status.line if status is not None else event.line, "method",
                         f"{where} has {found}; cancelling an event needs STATUS:CANCELLED")
        if event.first("SEQUENCE") is None:
            report.error(event.line, "method", f"{where} has no SEQUENCE (RFC 5546 3.2.5 requires one)")


def check_structure(roots, report):
    calendars = [c for c in roots if c.name == "VCALENDAR"]
    for other in roots:
        if other.name != "VCALENDAR":
            report.error(other.line, "structure", f"BEGIN:{other.name} outside VCALENDAR")
    if len(calendars) != 1:
        report.error(calendars[1].line if len(calendars) > 1 else 1, "structure",
                     f"{len(calendars)} VCALENDAR objects; a file must hold exactly one")
    if not calendars:
        return
    calendar = calendars[0]
    check_once(calendar, VCALENDAR_AT_MOST_ONCE, report)
    version = calendar.first("VERSION")
    if version is None:
        report.error(calendar.line, "required", "VCALENDAR has no VERSION (must be VERSION:2.0)")
    elif version.value != "2.0":
        report.error(version.line, "required", f"VERSION:{version.value}; iCalendar is VERSION:2.0")
    if calendar.first("PRODID") is None:
        report.error(calendar.line, "required", "VCALENDAR has no PRODID")
    calscale = calendar.first("CALSCALE")
    if calscale is not None and calscale.value.upper() != "GREGORIAN":
        report.error(calscale.line, "required", f"CALSCALE:{calscale.value}; only GREGORIAN is defined")
    method_prop = calendar.first("METHOD")
    method = None
    if method_prop is not None:
        method = method_prop.value.upper()
        if method not in METHODS:
            report.error(method_prop.line, "method",
                         f"METHOD:{method_prop.value} is not an RFC 5546 method ({', '.join(sorted(METHODS))})")
            method = None
    for component in walk(calendar):
        if component is not calendar and component.first("METHOD") is not None:
            report.error(component.first("METHOD").line, "method", f"METHOD belongs to VCALENDAR, not {component.name}")
    if not calendar.children:
        report.error(calendar.line, "structure", "VCALENDAR holds no component (RFC 5545 3.6 requires at least one)")
    known = check_timezones(calendar, report)
    check_tzid_references(calendar, known, report)
    events = [c for c in calendar.children if c.name == "VEVENT"]
    if not events:
        report.warn(calendar.line, "structure", "no VEVENT in the calendar")
    for event in events:
        check_event(event, method, report)
    return calendar


# ---------------------------------------------------------------------------------------------
# Pass 2: the icalendar package


def check_with_icalendar(text, calendar, report):
    from icalendar import Calendar

    try:
        parsed = Calendar.from_ical(text)
    except Exception as err:  # the package raises ValueError and, for some inputs, others
        report.error(1, "parser", f"the icalendar package cannot parse the file: {str(err)[:200]}")
        return
    # Line numbers for what the package reports: its components and ours come in the same order.
    ours_in_order = list(walk(calendar)) if calendar is not None else []
    theirs_in_order = parsed.walk()
    same_shape = [c.name for c in ours_in_order] == [c.name for c in theirs_in_order]
    # The line checks say more precisely what is wrong: the package's complaint about a
    # component in which they already found an error is left out.
    already = [p.line for p in report.problems if not p.warning]
    for index, component in enumerate(theirs_in_order):
        for name, message in getattr(component, "errors", []):
            line = 1
            what = f"{component.name} {name}" if name else f"a content line of {component.name}"
            if same_shape:
                ours = ours_in_order[index]
                if any(ours.line <= seen <= ours.end for seen in already):
                    continue
                prop = ours.first(str(name).upper()) if name else None
                line = prop.line if prop is not None else ours.line
            report.error(line, "parser", f"the icalendar package could not read {what}: {message}")
    if calendar is None:
        return
    ours = [c for c in calendar.children if c.name == "VEVENT"]
    theirs = parsed.walk("VEVENT")
    if len(ours) != len(theirs):
        report.error(1, "parser", f"icalendar sees {len(theirs)} VEVENT(s) where the line reader sees {len(ours)}")
        return
    for event, decoded in zip(ours, theirs):
        compare_start_and_end(event, decoded, report)


def compare_start_and_end(event, decoded, report):
    start_prop = event.first("DTSTART")
    if start_prop is None or "DTSTART" not in decoded:
        return
    try:
        start = decoded.decoded("DTSTART")
    except Exception:
        return  # already reported as a malformed date-time
    for name in ("DTEND", "DURATION"):
        prop = event.first(name)
        if prop is None or name not in decoded:
            continue
        try:
            value = decoded.decoded(name)
        except Exception:
            continue
        if name == "DURATION":
            if isinstance(value, datetime.timedelta) and value <= datetime.timedelta(0):
                report.error(prop.line, "dtend", f"DURATION {prop.value} is not positive: the event must end after it starts")
            continue
        if type(start) is not type(value):
            continue  # a date against a date-time: reported by the line checks
        if isinstance(start, datetime.datetime) and (start.tzinfo is None) != (value.tzinfo is None):
            report.warn(prop.line, "dtend", "DTSTART and DTEND mix a floating time with a zoned one; not compared")
            continue
        try:
            ends_before = value <= start
        except TypeError:
            continue
        if ends_before:
            report.error(prop.line, "dtend",
                         f"DTEND {prop.value} is not after DTSTART {start_prop.value} (line {start_prop.line}); "
                         "an event must end after it starts (RFC 5545 3.8.2.2)")


# ---------------------------------------------------------------------------------------------


def validate(data):
    """All problems of one file (bytes), errors and warnings, sorted by line."""
    report = Report()
    physical = split_physical(data, report)
    logical = check_octets_and_unfold(physical, report)
    roots = read_properties(logical, report)
    calendar = check_structure(roots, report)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    check_with_icalendar(text, calendar, report)
    return sorted(report.problems, key=lambda p: (p.line, p.warning))


def main(argv):
    files = []
    for arg in argv:
        if arg in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if arg == "--strict-folding":
            continue  # always on
        if arg.startswith("-") and arg != "-":
            print(f"validate_ics.py: unknown option {arg}\n{USAGE}", file=sys.stderr)
            return 2
        files.append(arg)
    if not files:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        import icalendar  # noqa: F401
    except ImportError:
        print("validate_ics.py needs the icalendar package: python3 -m pip install icalendar", file=sys.stderr)
        return 2
    failed = False
    for name in files:
        try:
            if name == "-":
                data = sys.stdin.buffer.read()
                name = "<stdin>"
            else:
                with open(name, "rb") as handle:
                    data = handle.read()
        except OSError as err:
            print(f"validate_ics.py: cannot read {name}: {err.strerror}", file=sys.stderr)
            return 2
        problems = validate(data)
        errors = [p for p in problems if not p.warning]
        for problem in problems:
            kind = "warning" if problem.warning else "error"
            print(f"{name}:{problem.line}: {kind} [{problem.code}] {problem.message}", file=sys.stderr)
        if errors:
            failed = True
            print(f"FAIL {name}: {len(errors)} error(s)", file=sys.stderr)
        else:
            print(f"OK {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
