"""Languages: which locales ship, how one is chosen, and the words and formats in each (framework-free).

The words live in gettext catalogs (sms2fa_app/locales/<locale>/LC_MESSAGES/messages.po, compiled to .mo by
`make i18n-compile` or on first load); each entry's msgctxt is the message id and its msgid the English source, so
`pybabel extract` finds every string where it is declared and English stays the source of truth."""
