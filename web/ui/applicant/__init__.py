"""The applicant's pages (网上办, 掌上办): its enterprise's cases, filing online, following and acting on a case."""
