"""The alerts service's domain: plain Python, no I/O.

``signals`` is what the rules read (a late visit, an SOS, an overdue supervision), whatever service it
came from; ``rules`` turns a signal into severity, category, owner and the people to inform;
``grouping`` keeps one alert per problem; ``escalation`` walks the on-call chain; ``recipients``
decides whether, when and how a person may be told; ``templates`` words it in their language;
``delivery`` retries a failing channel; ``incidents`` reviews what happened.
"""
