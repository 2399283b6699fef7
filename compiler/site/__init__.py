"""Site policy: the facts about a pool (usage models, onsite rules, token scopes), where a job
may run, and the site file that states them."""
