"""The admin console's backend: the role, user overviews and actions, pending 2FA resets, SMS operations charts."""
