"""Credit lists (信用名单): entries an administrator records, which the rules' credit check reads."""
